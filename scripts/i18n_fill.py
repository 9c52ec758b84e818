"""Fill the English catalog from the table below, then compile it.

Usage: python scripts/i18n_fill.py   (extracts, updates gateway/i18n/en/LC_MESSAGES/messages.po,
fills empty entries from EN, compiles .mo). Chinese is the source language; English is the
translation. Add new strings to EN when you add them to the code.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "gateway/i18n/en/LC_MESSAGES/messages.po"

EN = {
    "服务暂时不可用": "Service temporarily unavailable",
    "系统正在恢复，请稍后重试。": "The system is recovering. Please try again shortly.",
    "页面已过期": "This page has expired",
    "表单已失效，请返回后刷新页面重试。": "The form is no longer valid. Go back, reload the page and try again.",
    "系统错误": "System error",
    "请稍后重试。请求编号：": "Please try again later. Request id: ",
    "用户名或密码错误": "Wrong username or password",
    "该部门目录服务暂时不可用，请稍后再试；其他登录方式不受影响":
        "This department's directory is temporarily unavailable; other ways to log in still work",
    "该账号已在部门目录中停用": "This account is disabled in the department directory",
    "省统一身份认证系统暂时不可用，请稍后再试":
        "The provincial identity system is temporarily unavailable. Please try again later",
    "省统一身份认证系统拒绝了本次登录": "The provincial identity system refused this login",
    "省统一身份认证系统返回的身份证号无效，登录已拒绝":
        "The provincial identity system returned an invalid ID number; the login was refused",
    "登录标识（不含个人信息的匿名标识）": "A sign-in identifier (pseudonymous, no personal data)",
    "在您离线时保持访问": "Access while you are offline",
    "姓名、用户名、用户类型": "Name, username, account type",
    "电子邮箱": "E-mail address",
    "手机号码（默认脱敏）": "Mobile number (masked by default)",
    "身份证号（默认脱敏）": "ID number (masked by default)",
    "所代表的单位（名称、统一社会信用代码、角色）": "The organisation you act for (name, credit code, role)",
    "部门、职务、所属群组": "Department, title, groups",
    "请选择所在部门": "Please choose your department",
    "登录已超时": "The login has expired",
    "请返回原网站重新登录。": "Please go back to the website and log in again.",
    "应用不可用": "Application unavailable",
    "无法完成登录请求": "The login request cannot be completed",
    "id_token_hint 无效": "Invalid id_token_hint",
    "client_id 与 id_token_hint 不一致": "client_id does not match id_token_hint",
    "无法退出登录": "Cannot log out",
    "统一身份认证网关": "Unified Identity Gateway",
    "潍坊市统一身份认证网关": "Weifang Unified Identity Gateway",
    "潍坊市大数据局": "Weifang Big Data Bureau",
    "请勿向任何人透露您的密码或验证码": "Never tell anyone your password or verification code",
    "出于安全原因，本页面不会跳转到未登记的地址。":
        "For your security, this page never redirects to an unregistered address.",
    "授权确认": "Authorise access",
    "请求获取您的以下信息：": "asks for the following information:",
    "用途": "Purpose",
    "依据": "Legal basis",
    "同意并继续": "Allow and continue",
    "拒绝": "Deny",
    "您可以随时在“我的账户”中撤回授权。": "You can withdraw this at any time under “My account”.",
    "正在退出": "Logging out",
    "正在通知各应用退出…": "Telling the applications you are logging out…",
    "继续": "Continue",
    "您已登录：": "You are logged in as: ",
    "退出登录": "Log out",
    "各部门网站通过本网关实现一次登录、处处通行。":
        "Log in once here and every department's website recognises you.",
    "登录": "Log in",
    "已退出": "Logged out",
    "已取消退出": "Logout cancelled",
    "您已安全退出": "You have logged out",
    "您已退出统一身份认证，并通知了已登录的各应用。":
        "You have left the identity gateway, and the applications you used have been told.",
    "您正在登录": "You are logging in to",
    "该应用需要更高的实名认证等级（%(level)s 级），请重新认证。":
        "This application needs a higher real-name level (level %(level)s). Please authenticate again.",
    "该应用不接受当前账号类型，请使用其他账号登录。":
        "This application does not accept this kind of account. Please log in with another account.",
    "使用山东省统一身份认证登录": "Log in with the provincial identity system",
    "个人登录": "Individuals",
    "法人登录": "Companies",
    "工作人员登录": "Staff login",
    "所在部门": "Department",
    "用户名": "Username",
    "密码": "Password",
    "本地账号登录（管理员）": "Local account (administrators)",
    "确认退出登录？": "Log out?",
    "退出后，您在所有已登录的网站上都将退出。": "You will be logged out of every website you are logged in to.",
    "发起退出的应用：": "Requested by: ",
    "取消": "Cancel",
    '已结束 %(n)s 个其他会话': 'Ended %(n)s other session(s)',
    '会话已结束': 'Session ended',
    '登录状态已失效，请重新登录': 'The login has expired. Please log in again',
    '登录票据无效或已使用，请重新登录': 'The login ticket is invalid or already used. Please log in again',
    '省统一身份认证会话已结束，请重新登录': 'Your provincial session has ended. Please log in again',
    '实名认证等级不足，无法登录该应用': 'Your real-name level is too low for this application',
    '该账号类型不能登录此应用': 'This kind of account cannot log in to this application',
    '该账号已被冻结，请联系省统一身份认证客服': 'This account is frozen. Please contact the provincial identity service',
    '省统一身份认证系统返回了无法识别的数据': 'The provincial identity system returned data that could not be understood',
    '通知校验失败': 'Notice verification failed',
    '已撤回授权，该网站已无法再获取您的信息': 'Consent withdrawn: the website can no longer receive your information',
    '姓名': 'Name',
    '用户类型（个人/法人/工作人员）': 'Account type (individual / company / staff)',
    '手机号码（脱敏）': 'Mobile number (masked)',
    '手机号码（完整）': 'Mobile number (full)',
    '身份证号（脱敏）': 'ID number (masked)',
    '身份证号比对码（不可还原）': 'ID number match code (irreversible)',
    '身份证号（完整）': 'ID number (full)',
    '部门': 'Department',
    '部门名称': 'Department name',
    '职务': 'Title',
    '所属群组': 'Groups',
    '办理本系统业务所需': 'Needed to handle your business in this system',
    '依法提供（履行法定职责所需，无需您同意）': 'Provided by law (needed for a statutory duty; no consent needed)',
    '经您同意后提供': 'Provided with your consent',
    '敏感个人信息（需要您单独同意）': 'Sensitive personal information (needs your separate consent)',
    '您可以随时在“我的数据”中查看各网站获取了哪些信息，并撤回授权。': 'Under “My data” you can see at any time what each website received, and withdraw your consent.',
    '我的数据': 'My data',
    '身份证号': 'ID number',
    '手机号码': 'Mobile number',
    '所代表的单位': 'Organisation you act for',
    '关联账号': 'Linked accounts',
    '本地账号': 'Local account',
    '我的会话': 'My sessions',
    '导出我的数据（JSON）': 'Export my data (JSON)',
    '已授权的网站': 'Websites you have authorised',
    '经您同意提供：': 'With your consent: ',
    '依法提供：': 'By law: ',
    '撤回授权': 'Withdraw',
    '暂无': 'None',
    '信息提供记录': 'Disclosure history',
    '时间': 'Time',
    '网站': 'Website',
    '提供的信息': 'Information provided',
    '方式': 'Channel',
    '依法': 'by law',
    '经同意': 'with consent',
    '上一页': 'Previous',
    '下一页': 'Next',
    '以下是您当前登录的设备。结束会话后，该设备上已登录的各网站也会退出。': 'These are the devices you are logged in on. Ending a session also logs that device out of every website.',
    '设备': 'Device',
    'IP': 'IP',
    '登录时间': 'Logged in',
    '最近活动': 'Last active',
    '已登录的网站': 'Websites',
    '当前': 'this device',
    '结束': 'End',
    '结束其他所有会话': 'End all other sessions',
}


def main() -> int:
    pot = ROOT / "build/messages.pot"
    pot.parent.mkdir(exist_ok=True)
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
                    "-k", "_", "-k", "gettext", "-k", "N_", "-o", str(pot), str(ROOT)],
                   check=True, capture_output=True, cwd=ROOT)
    with pot.open("rb") as fh:
        template = read_po(fh)
    catalog = read_po(PO.open("rb")) if PO.exists() else None
    missing = []
    for msg in template:
        if not msg.id:
            continue
        existing = catalog.get(msg.id) if catalog else None
        msg.string = (existing.string if existing and existing.string else EN.get(msg.id, ""))
        if not msg.string:
            missing.append(msg.id)
    template.locale = "en"
    template.fuzzy = False
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as fh:
        write_po(fh, template, width=120, omit_header=False)
    with PO.with_suffix(".mo").open("wb") as fh:
        write_mo(fh, template)
    for m in missing:
        print(f"untranslated: {m}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
