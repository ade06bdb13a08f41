"""Every refusal of the agent: a stable code for programs, an HTTP status, and one message in
English and one in Vietnamese for the person at the PC (the web page shows the Vietnamese one).
"""

from __future__ import annotations

# code: (HTTP status, English, Vietnamese). %(name)s placeholders are filled by AgentError.
MESSAGES = {
    "not_found": (
        404, "There is no such address on the signing agent.",
        "Chương trình ký số không có địa chỉ này."),
    "method_not_allowed": (
        405, "This address does not accept this kind of request.",
        "Địa chỉ này không nhận loại yêu cầu này."),
    "origin_refused": (
        403, "The web site %(origin)s is not allowed to use this signing agent. Start the agent "
             "with --allow-origin for the school's Odoo address.",
        "Trang web %(origin)s không được phép dùng chương trình ký số này. Hãy chạy chương "
        "trình với --allow-origin là địa chỉ Odoo của trường."),
    "host_refused": (
        403, "The signing agent answers on 127.0.0.1 only.",
        "Chương trình ký số chỉ trả lời trên địa chỉ 127.0.0.1."),
    "length_required": (
        411, "The request must say its length (Content-Length).",
        "Yêu cầu phải cho biết độ dài (Content-Length)."),
    "body_too_large": (
        413, "The request is too large (at most %(max)s bytes).",
        "Yêu cầu quá lớn (tối đa %(max)s byte)."),
    "unsupported_media_type": (
        415, "The request must be JSON (Content-Type: application/json).",
        "Yêu cầu phải ở dạng JSON (Content-Type: application/json)."),
    "bad_json": (
        400, "The request is not valid JSON.",
        "Yêu cầu không phải JSON hợp lệ."),
    "bad_request": (
        400, "The request is wrong: %(detail)s.",
        "Yêu cầu không đúng: %(detail)s."),
    "bad_certificate_sha256": (
        400, "certificate_sha256 must be the SHA-256 fingerprint of the certificate, 64 "
             "hexadecimal digits.",
        "certificate_sha256 phải là dấu vân tay SHA-256 của chứng thư số, gồm 64 chữ số "
        "thập lục phân."),
    "no_digests": (
        400, "There is nothing to sign.",
        "Không có gì để ký."),
    "too_many_items": (
        400, "At most %(max)s digests can be signed in one request; %(count)s were sent.",
        "Mỗi lần ký tối đa %(max)s bản; yêu cầu gửi %(count)s bản."),
    "bad_doc_id": (
        400, "Item %(index)s has a wrong or repeated document code.",
        "Mục %(index)s có mã văn bản sai hoặc bị trùng."),
    "bad_digest": (
        400, "Item %(index)s: the digest must be the base64 of a 32-byte SHA-256 value.",
        "Mục %(index)s: giá trị băm phải là chuỗi base64 của 32 byte SHA-256."),
    "pin_missing": (
        400, "Enter the PIN of the token.",
        "Hãy nhập mã PIN của USB token."),
    "busy": (
        409, "The token is busy with another signing. Wait for it to finish, then try again.",
        "USB token đang bận ký một lượt khác. Hãy đợi xong rồi thử lại."),
    "no_token": (
        503, "No USB token was found. Plug in the token, wait a few seconds, then try again.",
        "Không tìm thấy USB token. Hãy cắm USB token vào máy, đợi vài giây rồi thử lại."),
    "certificate_not_found": (
        404, "The certificate chosen in Học bạ số is not on the plugged-in token(s). Plug in "
             "the token that holds it.",
        "Chứng thư số đã chọn trong Học bạ số không có trên USB token đang cắm. Hãy cắm đúng "
        "USB token chứa chứng thư số này."),
    "key_not_found": (
        404, "The token holds the certificate but not its signing key.",
        "USB token có chứng thư số nhưng không có khóa ký đi kèm."),
    "pin_incorrect": (
        401, "The PIN of the token is wrong. Nothing was signed. Check the PIN before trying "
             "again: the token locks itself after a few wrong PINs.",
        "Mã PIN của USB token không đúng. Chưa ký văn bản nào. Hãy kiểm tra lại mã PIN trước "
        "khi thử lại: USB token sẽ tự khóa sau vài lần nhập sai."),
    "pin_final_try": (
        401, "The PIN of the token is wrong. Nothing was signed. One more wrong PIN will lock "
             "the token.",
        "Mã PIN của USB token không đúng. Chưa ký văn bản nào. Nhập sai thêm một lần nữa "
        "USB token sẽ bị khóa."),
    "pin_locked": (
        423, "The token is locked after too many wrong PINs. Unlock it with the certificate "
             "provider's tool, then try again.",
        "USB token đã bị khóa do nhập sai mã PIN quá nhiều lần. Hãy mở khóa bằng phần mềm "
        "của nhà cung cấp chứng thư số rồi thử lại."),
    "pin_expired": (
        423, "The PIN of the token has expired. Change it with the certificate provider's "
             "tool, then try again.",
        "Mã PIN của USB token đã hết hạn. Hãy đổi mã PIN bằng phần mềm của nhà cung cấp "
        "chứng thư số rồi thử lại."),
    "token_error": (
        502, "The token could not sign (%(detail)s). Check that it is still plugged in, then "
             "try again.",
        "USB token không ký được (%(detail)s). Hãy kiểm tra USB token vẫn còn cắm rồi thử "
        "lại."),
    "key_mismatch": (
        502, "The key on the token does not match the certificate: nothing was returned.",
        "Khóa trên USB token không khớp với chứng thư số: không trả về chữ ký nào."),
    "internal_error": (
        500, "The signing agent met an unexpected error. Nothing was signed.",
        "Chương trình ký số gặp lỗi không mong muốn. Chưa ký văn bản nào."),
}


class AgentError(Exception):
    """A refusal with its code; ``params`` fill the messages (never a PIN)."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def status(self) -> int:
        return MESSAGES[self.code][0]

    def body(self) -> dict:
        status, english, vietnamese = MESSAGES[self.code]
        return {"error": self.code, "message": english % self.params,
                "message_vi": vietnamese % self.params}
