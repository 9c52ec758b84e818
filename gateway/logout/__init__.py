"""Single logout: back-channel logout tokens, a durable delivery queue, and its worker."""
