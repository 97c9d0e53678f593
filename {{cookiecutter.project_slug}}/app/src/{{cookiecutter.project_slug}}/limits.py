"""Size limits of what the service accepts: one source for the schemas, the request-body
limit and the firewall (infra/components/edge.py sizes its rules from them).

{% if cookiecutter.starter == "reference" -%}
A valid ticket can be much larger in bytes than in characters. The limits count characters
(code points), and in the worst case every one is outside the Basic Multilingual Plane
(emoji, some CJK), 4 bytes in UTF-8:
- a browser form sends it percent-encoded: %F0%9F%98%80, 12 bytes;
- JSON may send it as an escaped surrogate pair: \\ud83d\\ude00, 12 bytes.
So a valid ticket takes up to (120 + 2000) x 12 = 25,440 bytes, plus the form's other
fields (priority, a CSRF token, field names): under 1 KB. 32 KB leaves room for both and
still stops oversized bodies before they are parsed (the app answers 413).
"""

TITLE_MAX = 120  # characters
DESCRIPTION_MAX = 2000  # characters
MAX_REQUEST_BODY_BYTES = 32 * 1024  # worst-case valid ticket, encoded, plus form fields
{%- else -%}
Text limits count characters (code points), but a body is bytes, and in the worst case every
character is outside the Basic Multilingual Plane (emoji, some CJK), 4 bytes in UTF-8:
- a browser form sends it percent-encoded: %F0%9F%98%80, 12 bytes;
- JSON may send it as an escaped surrogate pair: \\ud83d\\ude00, 12 bytes.
So the body limit must hold every valid request at 12 bytes a character: the example's name
takes up to 120 x 12 = 1,440 bytes. 32 KB leaves room for the text fields your service adds
(a 2,000-character description takes 24,000 bytes) and still stops oversized bodies before
they are parsed (the app answers 413). tests/test_firewall_body_size.py sends the largest
valid request: add your fields to it.
"""

NAME_MAX = 120  # characters
MAX_REQUEST_BODY_BYTES = 32 * 1024  # the largest valid request, encoded, with room to grow
{%- endif %}
