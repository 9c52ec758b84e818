"""Code sets of DB37/T 3448.8 annex D as simulated (PROVINCIAL.md §2.7).

The names of the levels and roles are [fact]; the numeric codes and D.1 are [inference].
"""

from __future__ import annotations

OK = "0"
MISSING_PARAM = "1001"
APP_UNKNOWN = "1002"
BAD_SIGN = "1003"
STALE_TIMESTAMP = "1004"
IP_DENIED = "1005"
REPLAYED_NONCE = "1006"
BACKURL_DENIED = "1007"
BAD_APP_SIGN = "1008"
TICKET_INVALID = "2001"
TICKET_EXPIRED = "2002"
TICKET_USED = "2003"
TICKET_WRONG_APP = "2004"
TOKEN_INVALID = "3001"
LOGGED_OUT = "3002"
LEVEL_TOO_LOW = "4001"
USER_TYPE_DENIED = "4002"
ACCOUNT_FROZEN = "4003"
BUSY = "5000"

RETURN_CODES: dict[str, str] = {
    OK: "成功",
    MISSING_PARAM: "缺少必要参数",
    APP_UNKNOWN: "应用不存在或已下线",
    BAD_SIGN: "签名校验失败",
    STALE_TIMESTAMP: "时间戳超出允许范围",
    IP_DENIED: "调用方IP不在白名单",
    REPLAYED_NONCE: "重复请求",
    BACKURL_DENIED: "回调地址未登记",
    BAD_APP_SIGN: "应用凭证无效或过期",
    TICKET_INVALID: "票据无效",
    TICKET_EXPIRED: "票据已过期",
    TICKET_USED: "票据已使用",
    TICKET_WRONG_APP: "票据与应用不匹配",
    TOKEN_INVALID: "令牌无效或已过期",
    LOGGED_OUT: "用户已退出登录",
    LEVEL_TOO_LOW: "实名认证等级不足",
    USER_TYPE_DENIED: "用户类型不允许",
    ACCOUNT_FROZEN: "账号已冻结",
    BUSY: "系统繁忙",
}

AUTH_LEVELS: dict[str, str] = {"0": "未实名", "1": "初级", "2": "中级", "3": "高级"}

ACCOUNT_ROLES: dict[str, str] = {"0": "个人", "1": "法定代表人", "2": "管理员", "3": "经办人"}

ID_TYPES: dict[str, str] = {"111": "居民身份证", "414": "普通护照", "516": "港澳居民来往内地通行证",
                            "511": "台湾居民来往大陆通行证"}

CORP_TYPES: dict[str, str] = {"1": "企业", "2": "个体工商户", "3": "农民专业合作社", "4": "事业单位",
                              "5": "社会组织", "9": "其他"}


def msg(code: str) -> str:
    return RETURN_CODES.get(code, "未知错误")
