"""Download names (infohub.downloads): a Chinese name travels in `filename*`, and the ASCII `filename` beside it — what a
client that cannot read `filename*` saves the file as — is meaningful: the caller's own name for it, the ASCII words of
the name, or "download"; never bare digits and brackets ("2026().docx", which a 通报's name made)."""
import re

import pytest

from infohub.downloads import ascii_filename, content_disposition

TONGBAO = "关于2026年第二季度全市党委信息工作情况的通报（待印发）.docx"


def ascii_part(header: str) -> str:
    return re.search(r'filename="([^"]*)"', header).group(1)


@pytest.mark.parametrize("name, fallback, expected", [
    (TONGBAO, "tongbao-2026-Q2-draft.docx", "tongbao-2026-Q2-draft.docx"),
    (TONGBAO, "tongbao-2026-Q2-draft", "tongbao-2026-Q2-draft.docx"),  # the extension of the name when none given
    (TONGBAO, None, "download-2026.docx"),  # no caller's name: never "2026().docx"
    ("会议纪要（终稿）.docx", None, "download.docx"),
    ("InfoHub名册-20261130.xlsx", None, "InfoHub-20261130.xlsx"),
    ("Report 会议纪要 v2.docx", None, "Report-v2.docx"),
    ("Report v2.docx", "item-1-attachment-2", "Report v2.docx"),  # an ASCII name is its own fallback
    ("ｒｅｐｏｒｔ２０２６.pdf", None, "report2026.pdf"),
    ('a"b;c.docx', None, "a-b-c.docx"),
])
def test_the_ascii_name_says_what_the_file_is(name, fallback, expected):
    assert ascii_filename(name, fallback) == expected


def test_the_header_carries_both_names():
    header = content_disposition(TONGBAO, fallback="tongbao-2026-Q2-draft.docx")
    assert header.startswith('attachment; filename="tongbao-2026-Q2-draft.docx"; filename*=UTF-8\'\'%E5%85%B3%E4%BA%8E')
    assert "()" not in ascii_part(header)
