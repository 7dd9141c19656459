"""Quoted history and signatures of each mail client and language, as the issue lists them.

Each case is a short reply written for the format (the real e-mails are in the corpus
test); the expected output is what the customer wrote.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.cleaning import PatternError, clean, load_patterns

QUOTE = "Do you want a refund?"

FORMATS = {
    "gmail ISO date": "Yes please\n\n2014-03-20 8:48 GMT+01:00 Anna Smith <anna@example.com>:\n\n> "
    + QUOTE,
    "address glued to wrote": "Yes please\n\nOn Mon, Mar 3, 2025 at 9:00 AM Shop<help@shop.com>wrote:\n> "
    + QUOTE,
    "zoho ---- On … wrote ----": "Yes please\n\n---- On Mon, 03 Mar 2025 09:00:00 +0100 help@shop.com "
    "wrote ----\n\n" + QUOTE,
    "---- Name wrote ----": "Yes please\n\n---- Shop Support wrote ----\n\n" + QUOTE,
    "mail.ru … от … <addr>:": "Yes please\n\nПонедельник, 3 марта 2025, 9:00 +03:00 от Shop "
    "<help@shop.com>:\n\n" + QUOTE,
    "zimbra - Le … a écrit :": "Yes please\n\n- Le 3 mars 2025 à 09:00, help@shop.com a écrit :\n> "
    + QUOTE,
    "danish Den … skrev": "Yes please\n\nDen 3. mar. 2025 kl. 09.00 skrev Shop <help@shop.com>:\n\n"
    + QUOTE,
    "danish Oprindelig besked": "Yes please\n\n-------- Oprindelig besked --------\nFra: Shop "
    "<help@shop.com>\nDato: 03-03-2025\nTil: kunde@example.dk\nEmne: Refusion\n\n" + QUOTE,
    "norwegian Fra/Sendt/Til/Emne": "Yes please\n\nFra: Shop <help@shop.com>\nSendt: 3. mars 2025 "
    "09:00\nTil: Kari\nEmne: Refusjon\n\n" + QUOTE,
    "swedish Från/Skickat/Till/Ämne": "Yes please\nFrån: Shop [mailto:help@shop.com]\nSkickat: den 3 "
    "mars 2025 09:00\nTill: Anna\nÄmne: Återbetalning\n\n" + QUOTE,
    "chinese 写道": "Yes please\n\n在 2025年3月3日 09:00，Shop <help@shop.com> 写道：\n\n" + QUOTE,
    "chinese 发件人": "Yes please\n\n发件人: Shop <help@shop.com>\n发送时间: 2025年3月3日 9:00\n收件人: "
    "客户\n主题: 退款\n\n" + QUOTE,
    "italian In data": "Yes please\n\nIn data 3 marzo 2025 09:00:00 Shop <help@shop.com> ha "
    "scritto:\n\n" + QUOTE,
    "dutch apple mail": "Yes please\n\nOp 3 mrt. 2025, om 09:00 heeft Shop <help@shop.com> het "
    "volgende geschreven:\n\n" + QUOTE,
    "portuguese Em … escreveu": "Yes please\n\nEm seg., 3 de mar. de 2025 às 09:00, Shop "
    "<help@shop.com> escreveu:\n\n" + QUOTE,
    "finnish kirjoitti": "Yes please\n\nma 3. maalisk. 2025 klo 9.00 Shop <help@shop.com>\n"
    "kirjoitti:\n\n" + QUOTE,
    "polish napisał(a)": "Yes please\n\nW dniu 3.03.2025 o 09:00, Shop <help@shop.com> "
    "napisał(a):\n\n" + QUOTE,
    "hungarian írta": "Yes please\n\nShop <help@shop.com> ezt írta (időpont: 2025. márc. 3., H, "
    "9:00):\n\n" + QUOTE,
    "russian написал": "Yes please\n\n3 марта 2025 г., в 9:00, Shop <help@shop.com> написал(а):\n\n"
    + QUOTE,
    "ukrainian Від/Надіслано": "Yes please\n\nВід: Shop <help@shop.com>\nНадіслано: 3 березня "
    "2025 р. 9:00\nКому: Оксана\nТема: Повернення\n\n" + QUOTE,
    "vietnamese đã viết": "Yes please\n\nVào Th 2, 3 thg 3, 2025 lúc 09:00 Shop <help@shop.com> "
    "đã viết:\n\n" + QUOTE,
    "korean 님이 작성": "Yes please\n\n2025년 3월 3일 (월) 오전 9:00, Shop <help@shop.com>님이 작성:\n\n"
    + QUOTE,
    "japanese gmail": "Yes please\n\n2025年3月3日(月) 9:00 Shop <help@shop.com>:\n\n" + QUOTE,
    "turkish şunu yazdı": "Yes please\n\nShop <help@shop.com>, 3 Mar 2025 Pzt, 09:00 tarihinde "
    "şunu yazdı:\n\n" + QUOTE,
    "greek έγραψε": "Yes please\n\nΣτις 2025-03-03 09:00, Shop έγραψε:\n> " + QUOTE,
    "hebrew מאת/נשלח": "Yes please\n\nמאת: Shop <help@shop.com>\nנשלח: יום שני 3 מרץ 2025 09:00\n"
    "אל: דנה\nנושא: החזר\n\n" + QUOTE,
    "arabic iphone": "Yes please\n\nفي ٠٣/٠٣/٢٠٢٥ الساعة ٩:٠٠ ص، كتب Shop <help@shop.com>:\n\n"
    + QUOTE,
    "indonesian menulis": "Yes please\n\nPada tanggal Sen, 3 Mar 2025 09.00, Shop <help@shop.com> "
    "menulis:\n\n" + QUOTE,
    "romanian a scris": "Yes please\n\nlun., 3 mar. 2025, 09:00 Shop <help@shop.com> a scris:\n\n"
    + QUOTE,
    "header block starting with Date:": "Yes please\n\nDate: Mon, 3 Mar 2025 09:00 +0100\nTo: "
    "anna@example.com\n\n" + QUOTE,
    "header block starting with To:": "Yes please\n\nTo: anna@example.com\nFrom: help@shop.com\n"
    "Subject: Refund\n\n" + QUOTE,
    "bold header block": "Yes please\n\n*From:* help@shop.com [mailto:\nhelp@shop.com]\n*Sent:* "
    "Monday, March 3, 2025 9:00 AM\n*To:* anna@example.com\n*Subject:* Refund\n\n" + QUOTE,
}


@pytest.mark.parametrize("raw", FORMATS.values(), ids=FORMATS.keys())
def test_quoted_history_is_recognised(raw: str) -> None:
    assert clean(raw, channel="email") == "Yes please"


def test_outlook_2003_html_with_label_and_value_on_different_source_lines() -> None:
    html = (
        "<html><body><p>Yes please</p><div><p><b><span>From:</span></b><span> Shop\n"
        "[mailto:help@shop.com]<br><b>Sent:</b> Monday, March 03, 2025 9:00 AM<br><b>To:</b>\n"
        "Anna<br><b>Subject:</b> Refund</span></p></div><p>Do you want a refund?</p></body></html>"
    )
    assert clean(html, channel="email") == "Yes please"


def test_html_header_block_starting_with_date() -> None:
    html = (
        "<div>Yes please<br><hr>Date: Mon, 3 Mar 2025 09:00 +0100<br>To: anna@example.com<br>"
        "From: help@shop.com<br>Subject: Refund<br><br>Do you want a refund?</div>"
    )
    assert clean(html, channel="email") == "Yes please"


def test_replies_below_and_between_quoted_blocks_are_kept() -> None:
    raw = (
        "On Mon, Mar 3, 2025 at 9:00 AM Shop <help@shop.com> wrote:\n> Do you want a refund?\n\n"
        "Yes, to my card please.\n\n> Or store credit?\n\nNo thanks.\n\n-- \nAnna"
    )
    assert clean(raw, channel="email") == "Yes, to my card please.\n\nNo thanks."


def test_html_reply_below_a_blockquote_is_kept() -> None:
    html = "<div>Hi,</div><blockquote type='cite'>Do you want a refund?</blockquote><div>Yes!</div>"
    assert clean(html, channel="email") == "Hi,\n\nYes!"


SIGNATURES = [
    "Sent from TypeApp",
    "Gesendet von Outlook für Android",
    "Envoyé à partir de Outlook pour iOS",
    "Enviado desde mi iPhone",
    "Отправлено с iPhone",
    "Get Outlook for iOS",
    "Von meinem iPhone gesendet",
    "Inviato da iPhone",
    "Verzonden vanaf mijn iPhone",
    "Skickat från min iPhone",
    "Wysłane z iPhone'a",
    "iPhoneから送信",
    "发自我的iPhone",
    "Trimis de pe iPhone-ul meu",
    "-Anna",
    "Best regards,\nAnna Smith",
    "Mit freundlichen Grüßen\nAnna",
    "S pozdravem,\nB",
]


@pytest.mark.parametrize("footer", SIGNATURES)
def test_signatures_and_mobile_footers_are_dropped(footer: str) -> None:
    assert clean(f"Where is my parcel?\n\n{footer}", channel="email") == "Where is my parcel?"


def test_a_sentence_starting_like_a_valediction_is_kept() -> None:
    raw = "Hi,\n\nthe parcel came.\n\nThanks for the quick help with it"
    assert (
        clean(raw, channel="email")
        == "Hi,\n\nthe parcel came.\n\nThanks for the quick help with it"
    )


def test_earlier_messages_recognise_an_unmarked_quote_in_any_language() -> None:
    earlier = ["Hello Anna,\n\nyour parcel left our warehouse today and should arrive on Friday."]
    raw = (
        "Perfect, thank you!\n\nE, 3. märts 2025 09:00 Shop <help@shop.com> skrivabas:\n"
        "Hello Anna,\nyour parcel left our warehouse today and\nshould arrive on Friday.\n\n"
        "One more thing: can you gift wrap it?"
    )
    assert clean(raw, "email", earlier=earlier) == (
        "Perfect, thank you!\n\nOne more thing: can you gift wrap it?"
    )


def test_earlier_does_not_remove_new_text() -> None:
    earlier = ["Your order #1001 shipped with USPS."]
    raw = "Where is my order #1001? It has not arrived."
    assert clean(raw, "email", earlier=earlier) == raw


def test_a_shop_adds_patterns_from_its_own_file(tmp_path: Path) -> None:
    extra = tmp_path / "shop.yaml"
    extra.write_text(
        "attribution:\n  - {lang: xx, client: our crm, re: 'ticket \\d+ answered by .+:'}\n"
        "headers:\n  en: {from: [Sender], subject: [Topic]}\n",
        encoding="utf-8",
    )
    patterns = load_patterns(extra=[extra])
    raw = "Yes please\n\nTicket 4711 answered by Shop:\n\n" + QUOTE
    assert clean(raw, "email") != "Yes please"
    assert clean(raw, "email", patterns=patterns) == "Yes please"
    block = "Yes please\n\nSender: Shop\nTopic: Refund\n\n" + QUOTE
    assert clean(block, "email", patterns=patterns) == "Yes please"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("attribution:\n  - {re: '(unclosed'}\n", "bad regular expression"),
        ("attribution:\n  - {rx: 'x'}\n", "needs a 're'"),
        ("quotes:\n  - {re: 'x'}\n", "unknown key"),
        ("headers:\n  en: {sender: [X]}\n", "headers.en"),
        ("[unclosed", "cannot read"),
    ],
)
def test_a_bad_pattern_file_is_refused_with_a_clear_error(
    tmp_path: Path, content: str, message: str
) -> None:
    extra = tmp_path / "bad.yaml"
    extra.write_text(content, encoding="utf-8")
    with pytest.raises(PatternError, match=message):
        load_patterns(extra=[extra])


def test_a_missing_pattern_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PatternError, match="cannot read"):
        load_patterns(extra=[tmp_path / "nope.yaml"])


def test_an_address_in_angle_brackets_is_not_taken_for_html() -> None:
    raw = "Yes please\n\nFrom: Shop\n<a-shop@example.com>\nSent: Monday\nTo: Anna\n\n" + QUOTE
    assert clean(raw, channel="email") == "Yes please"
