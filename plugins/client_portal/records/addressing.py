"""How a letter addresses a contact by name in each language: titles, honorifics, family names.

A record names a person as people write names: "Dr. Lena Okafor", "Frau Anna Weber",
"岡本 健", "王先生". A letter greets them in the client's language, in that language's
manner: English, Spanish and Portuguese by first name ("Hi Lena,"), or by title and
family name when no first name is known ("Dear Dr. Okafor,"); German and French
formally, by title and family name when the name carries one ("Guten Tag Frau Weber,",
"Bonjour Madame Weber,"), else without a name; Japanese by family name and 様; Chinese
by name and honorific ("王先生，您好！"). Where the name cannot be read that surely, the
letter greets without a name and `check` asks for the contact's own salutation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Kind = Literal["mr", "ms", "mrs", "miss", "mx", "dr", "dr_f", "prof", "prof_f", "don", "dona"]
Form = Literal["familiar", "formal", "none"]  # "Hi Lena,", "Dear Dr. Okafor,", "Hello,"


@dataclass(frozen=True)
class Title:
    """A title written before a name: what it means and whose word it is."""

    kind: Kind
    languages: frozenset[str] | None = None  # None: every Latin-script language writes it so
    anywhere: bool = True  # False: read as a title only in its own languages ("M. Smith" is an initial in English)


def _own(kind: Kind, *languages: str, anywhere: bool = True) -> Title:
    return Title(kind, frozenset(languages), anywhere)


# Titles by how they are written, case-folded and without their final dot.
TITLES: dict[str, Title] = {
    "mr": _own("mr", "en"),
    "mrs": _own("mrs", "en"),
    "ms": _own("ms", "en"),
    "miss": _own("miss", "en"),
    "mx": _own("mx", "en"),
    "dr": Title("dr"),
    "prof": Title("prof"),
    "herr": _own("mr", "de"),
    "frau": _own("ms", "de"),
    "hr": _own("mr", "de", anywhere=False),
    "fr": _own("ms", "de", anywhere=False),
    "m": _own("mr", "fr", anywhere=False),
    "monsieur": _own("mr", "fr"),
    "mme": _own("ms", "fr"),
    "madame": _own("ms", "fr"),
    "mlle": _own("miss", "fr"),
    "mademoiselle": _own("miss", "fr"),
    "pr": _own("prof", "fr"),
    "sr": _own("mr", "es", "pt"),
    "sra": _own("ms", "es", "pt"),
    "srta": _own("miss", "es", "pt"),
    "dra": _own("dr_f", "es", "pt"),
    "profa": _own("prof_f", "pt"),
    "d": _own("don", "es", anywhere=False),
    "don": _own("don", "es", anywhere=False),
    "dña": _own("dona", "es"),
    "doña": _own("dona", "es", anywhere=False),
    "dona": _own("dona", "pt", anywhere=False),
}

# Each language's own word for a title written in another language; a kind a language has no
# word for is left out of the greeting. French writes titles out in a greeting ("Madame", never
# "Mme") and uses none but these; Chinese puts its word after the family name.
WORDS: dict[str, dict[Kind, str]] = {
    "en": {"mr": "Mr", "ms": "Ms", "mrs": "Mrs", "miss": "Miss", "mx": "Mx", "dr": "Dr", "dr_f": "Dr", "prof": "Prof"},
    "de": {"mr": "Herr", "ms": "Frau", "mrs": "Frau", "miss": "Frau", "dr": "Dr.", "dr_f": "Dr.", "prof": "Prof."},
    "fr": {"mr": "Monsieur", "ms": "Madame", "mrs": "Madame", "miss": "Mademoiselle"},
    "es": {
        "mr": "Sr.", "ms": "Sra.", "mrs": "Sra.", "miss": "Srta.", "dr": "Dr.", "dr_f": "Dra.",
        "prof": "Prof.", "prof_f": "Prof.", "don": "D.", "dona": "Dña.",
    },
    "pt": {
        "mr": "Sr.", "ms": "Sra.", "mrs": "Sra.", "miss": "Srta.", "dr": "Dr.", "dr_f": "Dra.",
        "prof": "Prof.", "prof_f": "Profa.", "dona": "Dona",
    },
    "zh": {
        "mr": "先生", "ms": "女士", "mrs": "女士", "miss": "女士", "dr": "博士", "dr_f": "博士",
        "prof": "教授", "prof_f": "教授",
    },
}  # fmt: skip
# Languages that keep a title as the record writes it when it is their own (or shared, like "Dr.").
AS_WRITTEN = {"en", "de", "es", "pt"}
# Chinese greets by the most specific title: 王教授 before 王先生.
CHINESE_ORDER: list[Kind] = ["prof", "prof_f", "dr", "dr_f", "mr", "ms", "mrs", "miss"]

# Honorifics written after a name in Chinese and Japanese. Chinese ones are kept in a Chinese
# letter; a Japanese letter greets with 様, the business honorific, in place of any.
CHINESE_SUFFIXES = ("先生", "女士", "小姐", "老师", "老師", "博士", "教授", "经理", "經理", "总", "總")
JAPANESE_SUFFIXES = ("様", "さま", "さん", "殿", "先生", "氏", "くん", "君", "ちゃん")
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_INITIAL = re.compile(r"\w\.?", re.UNICODE)
# Words that belong to the family name they come before ("van der Berg", "von Trapp").
PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "du", "del", "della", "la", "le", "ten", "ter", "dos", "das"}


@dataclass(frozen=True)
class Greeting:
    """How the first line of a letter names a person, and why it may not be right."""

    form: Form
    name: str = ""
    doubt: str | None = None  # why `check` asks for the contact's own salutation


def language_of(locale: str) -> str:
    """The language part of a locale or tag: ``pt`` of ``pt_BR``, ``zh`` of ``zh-CN``."""
    return re.split(r"[-_]", locale, maxsplit=1)[0].lower()


def greeting(name: str, locale: str) -> Greeting:
    """How a letter in ``locale`` greets a person the record names ``name``."""
    language = language_of(locale)
    if _CJK.search(name):
        return _cjk_greeting(name, language)
    words = name.split()
    titles: list[tuple[str, Title | None]] = []
    doubt = None
    while len(words) > 1:
        written = words[0]
        title = _title(written, language)
        if title is not None:
            titles.append((written, title))
        elif written.endswith(".") and not _INITIAL.fullmatch(written) and "." not in written[:-1]:
            # "Mag.", "Ing.": an abbreviation before a name is a title the letters cannot name.
            titles.append((written, None))
            doubt = f"starts with {written!r}, which the letters take for a title"
        else:
            break
        words = words[1:]
    if not words or (len(words) == 1 and _title(words[0], language) is not None):
        return Greeting("none", doubt="holds no name after its title")
    said = [word for word in (_title_word(written, title, language) for written, title in titles) if word]
    # "Dr. Okafor" names a family, "Anna" whatever it is a name; "J. Smith" starts with an initial.
    alone = len(words) == 1
    given = None if (titles if alone else _INITIAL.fullmatch(words[0])) else words[0]
    surname = [word for word in words if not _INITIAL.fullmatch(word)] if given is None else _family(words, language)
    if language == "ja":
        return Greeting("familiar", " ".join(words), doubt)
    if language == "zh":
        kinds = [title.kind for _, title in titles if title is not None]
        best = next((kind for kind in CHINESE_ORDER if kind in kinds), None)
        if best is not None and surname:
            return Greeting("familiar", " ".join(surname) + WORDS["zh"][best], doubt)
        return Greeting("familiar", " ".join(words), doubt)
    if language in ("de", "fr"):
        if said and surname:
            return Greeting("formal", " ".join([*said, *surname]), doubt)
        return Greeting("none", doubt=doubt)  # "Guten Tag," and "Bonjour," are whole greetings
    if given is not None:
        return Greeting("familiar", given, doubt)
    if said and surname:
        return Greeting("formal", " ".join([*said, *surname]), doubt)
    return Greeting("none", doubt=doubt or "gives no first name to greet them by")


def _title(word: str, language: str) -> Title | None:
    """The title ``word`` is in a letter in ``language``, if it is one."""
    title = TITLES.get(word.rstrip(".").casefold())
    if title is None or not (title.anywhere or language in (title.languages or ())):
        return None
    return title


def _title_word(written: str, title: Title | None, language: str) -> str | None:
    """The title as this language writes it in a greeting, or None when it has no word for it."""
    if title is None:
        return written if language in AS_WRITTEN else None
    if language in AS_WRITTEN and (title.languages is None or language in title.languages):
        return written
    return WORDS.get(language, WORDS["en"]).get(title.kind)


def _family(words: list[str], language: str) -> list[str]:
    """The family name of a name written given name first: Spanish keeps both surnames."""
    if language == "es":
        return words[1:]
    start = len(words) - 1
    while start > 1 and words[start - 1].casefold() in PARTICLES:
        start -= 1
    return words[start:]


def _cjk_greeting(name: str, language: str) -> Greeting:
    """A name in Chinese or Japanese script: family name first, honorifics after it."""
    compact = name.strip()
    suffix = next((s for s in sorted(CHINESE_SUFFIXES + JAPANESE_SUFFIXES, key=len, reverse=True)
                   if compact.endswith(s) and len(compact) > len(s)), None)  # fmt: skip
    bare = compact[: -len(suffix)].strip() if suffix else compact
    if language == "ja":  # 岡本 健 → 岡本様; 岡本健, where the family name cannot be told apart, → 岡本健様
        return Greeting("familiar", bare.split()[0] if " " in bare else bare)
    if language == "zh":
        return Greeting("familiar", "".join(bare.split()) + (suffix if suffix in CHINESE_SUFFIXES else ""))
    if suffix:
        return Greeting("none", doubt=f"ends in the honorific {suffix!r}, which a letter in this language cannot use")
    if language in ("de", "fr"):  # formal: no name without a title, as for any name
        return Greeting("none")
    return Greeting("familiar", compact)


def greeting_line(name: str, locale: str, gettext: Callable[[str], str], isolate: Callable[[str], str] = str) -> str:
    """The first line of a letter to ``name`` in ``locale``, with that locale's ``gettext``.

    ``isolate`` wraps the name, so a name in another script keeps its own direction in the line.
    """
    _ = gettext
    found = greeting(name, locale)
    if found.form == "familiar":
        return _("Hi %(name)s,") % {"name": isolate(found.name)}
    if found.form == "formal":
        # TRANSLATORS: a letter's greeting by title and family name, "Dear Dr. Okafor," ("Guten Tag Frau Weber,").
        return _("Dear %(name)s,") % {"name": isolate(found.name)}
    return _("Hello,")


# What check suggests a contact's salutation could look like, in the client's language.
SALUTATION_EXAMPLES = {
    "en": "Dear Ms Weber,",
    "de": "Guten Tag Frau Weber,",
    "fr": "Bonjour Madame Weber,",
    "es": "Estimada Sra. Weber:",
    "pt": "Prezada Sra. Weber,",
    "ja": "ウェーバー様",
    "zh": "韦伯女士，您好！",
}


def salutation_example(locale: str) -> str:
    """An example salutation in ``locale``'s language, for `check` to suggest."""
    return SALUTATION_EXAMPLES.get(language_of(locale), SALUTATION_EXAMPLES["en"])
