"""addressing: the first line of a letter greets each person as their language would, titles and all."""

from __future__ import annotations

import pytest

from client_portal.i18n import page_locale, translations
from client_portal.records.addressing import greeting, greeting_line


def line(name: str, language: str) -> str:
    locale = str(page_locale(language))
    return greeting_line(name, locale, translations(locale).gettext)


@pytest.mark.parametrize(
    ("language", "name", "expected"),
    [
        # English greets by first name, or by title and family name when that is all there is
        ("en", "Dr. Lena Okafor", "Hi Lena,"),
        ("en", "Dr Lena Okafor", "Hi Lena,"),
        ("en", "Prof. Dr. Anna Weber", "Hi Anna,"),
        ("en", "Mrs. Anna Weber", "Hi Anna,"),
        ("en", "Mx Alex Kim", "Hi Alex,"),
        ("en", "Dr. Okafor", "Dear Dr. Okafor,"),
        ("en", "Mr Smith", "Dear Mr Smith,"),
        ("en", "Ms. Weber", "Dear Ms. Weber,"),
        ("en", "Frau Weber", "Dear Ms Weber,"),  # another language's title, in English
        ("en", "Mme Dupont", "Dear Ms Dupont,"),
        ("en", "Sra. García", "Dear Ms García,"),
        ("en", "Anna", "Hi Anna,"),
        ("en", "M. Smith", "Hello,"),  # an initial, not Monsieur, in English: no first name to use
        ("en", "Dr.", "Hello,"),
        ("en", "王先生", "Hello,"),  # an honorific English cannot use
        ("en", "岡本 健", "Hi 岡本 健,"),
        # German: formally, by title and family name, else without a name
        ("de", "Dr. Lena Okafor", "Guten Tag Dr. Okafor,"),
        ("de", "Frau Anna Weber", "Guten Tag Frau Weber,"),
        ("de", "Frau Dr. Anna Weber", "Guten Tag Frau Dr. Weber,"),
        ("de", "Herr Prof. Jan van der Berg", "Guten Tag Herr Prof. van der Berg,"),
        ("de", "Hr. Weber", "Guten Tag Hr. Weber,"),
        ("de", "Mr John Smith", "Guten Tag Herr Smith,"),
        ("de", "Ms Anna Weber", "Guten Tag Frau Weber,"),
        ("de", "Anna Weber", "Guten Tag,"),
        ("de", "Mx Alex Kim", "Guten Tag,"),  # no German word for Mx: no guess at Herr or Frau
        ("de", "岡本 健", "Guten Tag,"),
        # French: Monsieur and Madame written out; a doctor's title alone is not how French greets
        ("fr", "M. Jean Dupont", "Bonjour Monsieur Dupont,"),
        ("fr", "Mme Claire Martin", "Bonjour Madame Martin,"),
        ("fr", "Mlle Claire Martin", "Bonjour Mademoiselle Martin,"),
        ("fr", "Frau Anna Weber", "Bonjour Madame Weber,"),
        ("fr", "Dr Lena Okafor", "Bonjour,"),
        ("fr", "Pr Lena Okafor", "Bonjour,"),
        ("fr", "Claire Martin", "Bonjour,"),
        # Spanish: first name, or title and both family names
        ("es", "Sr. Juan García López", "Hola, Juan:"),
        ("es", "Dra. Lena Okafor", "Hola, Lena:"),
        ("es", "D. José Ruiz", "Hola, José:"),
        ("es", "Dña. María Ruiz", "Hola, María:"),
        ("es", "Sra. García", "Hola, Sra. García:"),
        ("es", "Srta. García", "Hola, Srta. García:"),
        ("es", "Dr. Okafor", "Hola, Dr. Okafor:"),
        ("es", "Mrs Weber", "Hola, Sra. Weber:"),
        # Brazilian Portuguese
        ("pt-BR", "Sr. João Silva", "Olá, João,"),
        ("pt-BR", "Dra. Ana Souza", "Olá, Ana,"),
        ("pt-BR", "Sra. Souza", "Olá, Sra. Souza,"),
        ("pt-BR", "Dr. Souza", "Olá, Dr. Souza,"),
        ("pt-BR", "Herr Weber", "Olá, Sr. Weber,"),
        # Japanese: family name (first in a Japanese name) and 様, whatever honorific the record wrote
        ("ja", "岡本 健", "岡本様"),
        ("ja", "岡本健", "岡本健様"),  # no space: the family name cannot be told apart
        ("ja", "岡本様", "岡本様"),
        ("ja", "岡本さん", "岡本様"),
        ("ja", "山田先生", "山田様"),
        ("ja", "Dr. Lena Okafor", "Lena Okafor様"),
        ("ja", "Mr Smith", "Smith様"),
        # Chinese: the honorific after the family name, 您好
        ("zh-CN", "王先生", "王先生，您好！"),
        ("zh-CN", "李女士", "李女士，您好！"),
        ("zh-CN", "张老师", "张老师，您好！"),
        ("zh-CN", "陈博士", "陈博士，您好！"),
        ("zh-CN", "王伟", "王伟，您好！"),
        ("zh-CN", "岡本様", "岡本，您好！"),
        ("zh-CN", "Dr. Lena Okafor", "Okafor博士，您好！"),
        ("zh-CN", "Prof. Dr. Anna Weber", "Weber教授，您好！"),
        ("zh-CN", "Mr John Smith", "Smith先生，您好！"),
        ("zh-CN", "Frau Anna Weber", "Weber女士，您好！"),
        ("zh-CN", "Anna Weber", "Anna Weber，您好！"),
    ],
)
def test_each_language_greets_a_name_with_a_title_naturally(language, name, expected):
    assert line(name, language) == expected


@pytest.mark.parametrize(
    ("language", "name", "doubted"),
    [
        ("en", "Dr. Lena Okafor", False),
        ("en", "J. Smith", True),  # an initial is no first name
        ("en", "Mag. Anna Huber", True),  # an unknown title: read as one, but said
        ("de", "Mag. Anna Huber", True),
        ("en", "Dr.", True),
        ("de", "王先生", True),
        ("fr", "岡本様", True),
        ("ja", "王先生", False),
        ("de", "Anna Weber", False),  # "Guten Tag," needs no name
        ("fr", "Dr Lena Okafor", False),
    ],
)
def test_a_name_the_letters_cannot_read_surely_is_doubted(language, name, doubted):
    assert (greeting(name, str(page_locale(language))).doubt is not None) is doubted
