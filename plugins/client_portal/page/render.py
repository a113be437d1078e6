"""Client pages as HTML, through Jinja templates a user can override from ``theme.custom_dir``."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import tempfile
from collections import ChainMap
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache, partial
from io import StringIO
from pathlib import Path
from types import BuiltinFunctionType, FunctionType, MethodType
from typing import Any

import jinja2
from babel.support import NullTranslations
from jinja2 import (
    BytecodeCache,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    UndefinedError,
    nodes,
    select_autoescape,
)
from jinja2.bccache import Bucket
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.filters import do_urlencode
from jinja2.idtracking import VAR_LOAD_ALIAS, VAR_LOAD_PARAMETER, VAR_LOAD_RESOLVE, VAR_LOAD_UNDEFINED
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, Macro, markup_join
from jinja2.utils import internalcode
from markupsafe import Markup, escape

from client_portal.i18n import right_to_left, text_direction, translations
from client_portal.page.html_text import escaped_text, markup_of
from client_portal.page.url_text import percent_encoded
from client_portal.page.whatsnew import Seen

TEMPLATES_DIR = Path(__file__).parent / "templates"
ASSETS_DIR = Path(__file__).parent / "assets"
# Material Design Icons (Pictogrammers; Apache-2.0, see LICENSE there), shipped so pages need no theme.
ICONS_DIR = Path(__file__).parent / "icons"
# All an encrypted page's shell is given: the gate needs no more, and the record must stay out.
SHELL_NAMES = (
    "lang",
    "dir",
    "mode",
    "freelancer",
    "payload",
    "assets",
    "stylesheet",
    "csp",
    "accent_css",
    "body",
    "live_reload",
)


class ShellError(Exception):
    """A template asks an encrypted page's shell for something it is not given (the record, say)."""


# Icons that point along the line: a right-to-left page shows them mirrored (clocks and ticks keep their shape).
MIRRORED_ICONS = frozenset({"open-in-new"})


@dataclass(frozen=True)
class Assets:
    """What every client page loads: its stylesheet, inline, and its script's URL, relative to the page.

    The stylesheet is inline (its hash in the page's CSP), so a phone paints the page
    without waiting for another file; the script stays a file, so no inline script runs.
    """

    stylesheet: str  # Material's typography, buttons and palettes as client pages use them, and the gate's own
    portal_js: str
    page_stylesheet: str = ""  # the page's sections: in the encrypted body of a sealed page, in <head> otherwise


# What compiles a template besides its source: Jinja, and this module's code generator and options.
COMPILER = hashlib.sha256(jinja2.__version__.encode() + Path(__file__).read_bytes()).hexdigest()[:16]


class _Compiled(BytecodeCache):
    """Templates compiled once for every language's environment (they differ only in their catalog), and
    kept in ``folder`` between builds: each worker of the next build loads them rather than compiling them.

    Jinja checks what it loads against the template's source and Python's version; the
    folder is named for `COMPILER`. Anything that cannot be read or written there is
    compiled (or kept in memory) as if there were no folder.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self._code: dict[str, bytes] = {}
        self._folder = folder / COMPILER if folder is not None else None

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is None and self._folder is not None:
            try:
                code = (self._folder / bucket.key).read_bytes()
            except OSError:
                return
        if code is not None:
            bucket.bytecode_from_string(code)  # checks the source's checksum too

    def dump_bytecode(self, bucket: Bucket) -> None:
        code = self._code[bucket.key] = bucket.bytecode_to_string()
        if self._folder is None:
            return
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            # another worker may write the same template at the same moment: each file is whole or absent
            with tempfile.NamedTemporaryFile(dir=self._folder, prefix=".", delete=False) as file:
                file.write(code)
            os.replace(file.name, self._folder / bucket.key)
        except OSError:
            return


class _PageContext(Context):
    """Jinja's template context, calling plain functions, methods and macros straight away.

    Before every call Jinja asks the callable, and its ``__call__``, whether it wants the
    context passed in; two failed ``hasattr`` cost more than most of a page's 400 calls
    (``_()``, ``fmt.day``, macros). A function says so in its own ``__dict__`` (a method,
    in its function's), as do a cached function (`functools.cache` copies the
    ``__dict__`` of the function it wraps) and a `functools.partial` (its own attributes,
    nothing of its function's); a macro, a built-in or the page's ``seen`` never does:
    those are read here at once, and anything else goes Jinja's own way.
    """

    def __init__(
        self,
        environment: Environment,
        parent: dict[str, Any],
        name: str | None,
        blocks: dict[str, Callable[[Context], Any]],
        globals: MutableMapping[str, Any] | None = None,
    ) -> None:
        super().__init__(environment, parent, name, blocks)
        if globals is not None:
            # what Jinja's set(globals) holds: a template's globals are a ChainMap, which that walks in Python,
            # twenty times a page (every include and import makes a context)
            self.globals_keys = set().union(*globals.maps) if type(globals) is ChainMap else set(globals)

    @internalcode
    def call(__self, __obj: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        kind = type(__obj)
        function = __obj.__func__ if kind is MethodType else __obj  # type: ignore[attr-defined]
        if kind not in cp_at_once and not (
            type(function) in _ASKING_IN_DICT and "jinja_pass_arg" not in function.__dict__
        ):
            return super().call(__obj, *args, **kwargs)
        if kwargs:  # most calls have none
            kwargs.pop("_block_vars", None)
            kwargs.pop("_loop_vars", None)
        try:
            return __obj(*args, **kwargs)
        except StopIteration:
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception"
            )


class _PageMacro(Macro):
    """A template's macro, called at once when it is called with all its parameters and nothing else.

    `Macro.__call__` would only hand such a call on: no defaults to fill in, no ``caller``,
    ``kwargs`` or ``varargs`` (most of a page's seventy macro calls).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # how many arguments a call hands on as they are; -1 when none does
        self._plain_count = -1 if self.caller or self.catch_kwargs or self.catch_varargs else self._argument_count

    @internalcode
    def __call__(self, *args: Any, **kwargs: Any) -> str:
        if not kwargs and len(args) == self._plain_count and not (args and isinstance(args[0], EvalContext)):
            output = self._func(*args)
            return markup_of(output) if self._default_autoescape else output
        return super().__call__(*args, **kwargs)


# Callables that ask for the context (`jinja2.pass_context`) only in their own ``__dict__``.
_ASKING_IN_DICT = (FunctionType, type(cache(len)), partial)

# What a template's call (`_PageCode.visit_Call`) calls at once, without the context: callables that never ask
# for it, and those that would say so in the ``__dict__`` they have (a method's is its function's); anything
# without one is taken as asking, and goes through the context as Jinja's own calls do.
cp_at_once = frozenset({BuiltinFunctionType, Seen, _PageMacro})
cp_in_dict = frozenset({*_ASKING_IN_DICT, MethodType})
cp_asks = {"jinja_pass_arg": None}
cp_partial = partial
cp_escaped_text = escaped_text
cp_Macro = _PageMacro


def concatenated(parts: tuple[Any, ...]) -> str:
    """``markup_join(parts)``, Jinja's ``a ~ b`` where it escapes: the same value, a Markup when a part is one.

    Jinja's makes each part a string, and asks each whether it is HTML, through Python
    calls; a decision control joins five parts, a Markup among them. Plain text, Markup and
    values that are not strings (a date) are joined here at once; a string of another
    kind goes Jinja's way, as it may be HTML.
    """
    texts = []
    markup = False
    for part in parts:
        kind = type(part)
        if kind is Markup:
            markup = True
        elif kind is not str:
            if isinstance(part, str):
                return markup_join(parts)
            part = str(part)
            if type(part) is not str:  # a value whose str() is a string of another kind
                return markup_join(parts)
        texts.append(part)
    if not markup:
        return "".join(texts)
    return markup_of("".join([text if type(text) is Markup else escaped_text(text) for text in texts]))


cp_concatenated = concatenated


class _PageCode(CodeGenerator):
    """Jinja's code generator, writing the same templates as code that makes fewer Python calls: attributes,
    names, calls, joins and what a template outputs are looked at inline (tests/test_render.py holds every
    kind of each to what Jinja's own code gives)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._outputs: list[tuple[str, str] | None] = []  # each output's two temporaries, for `_output_child_post`

    @optimizeconst
    def visit_Getattr(self, node: nodes.Getattr, frame: Frame) -> None:
        """``x.name`` as Python's ``getattr(x, "name", missing)``, and only when that misses (a dict's key, an
        undefined name) through `Environment.getattr`: the same value, without a Python call for each of a
        page's eight hundred lookups."""
        if self.environment.is_async:
            super().visit_Getattr(node, frame)
            return
        value, owner = self.temporary_identifier(), self.temporary_identifier()
        self.write(f"({value} if ({value} := getattr(({owner} := ")
        self.visit(node.node, frame)
        self.write(f"), {node.attr!r}, missing)) is not missing else environment.getattr({owner}, {node.attr!r}))")

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        self.writeline(
            f"from {__name__} import cp_asks, cp_at_once, cp_concatenated, cp_escaped_text, cp_in_dict, cp_Macro,"
            " cp_partial"
        )
        super().visit_Template(node, frame)

    @optimizeconst
    def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
        """``f(x)`` called at once when ``f`` asks for no context, else through the context as Jinja calls it.

        Jinja calls every function through ``context.call``, which looks at the callable
        first: a Python call of its own for each of a page's 480 calls, a twentieth of
        its time. The look is made inline here, and the arguments written once::

            (f if (k := type(f := CALLEE)) in cp_at_once
                  or (k in cp_in_dict and "jinja_pass_arg" not in getattr(f, "__dict__", cp_asks))
             else cp_partial(context.call, f, _loop_vars=_loop_vars))(ARGUMENTS)

        A template's own macros are `_PageMacro`s, called at once like the rest.
        """
        if forward_caller or self.environment.is_async or self.environment.sandboxed:
            super().visit_Call(node, frame, forward_caller=forward_caller)
            return
        callee, kind = self.temporary_identifier(), self.temporary_identifier()
        self.write(f"(({callee} if (({kind} := type({callee} := ")
        self.visit(node.node, frame)
        self.write(
            f")) in cp_at_once or ({kind} in cp_in_dict and 'jinja_pass_arg' not in getattr({callee}, "
            f"'__dict__', cp_asks))) else cp_partial(context.call, {callee}"
        )
        if frame.loop_frame:
            self.write(", _loop_vars=_loop_vars")
        if frame.block_frame:
            self.write(", _block_vars=_block_vars")
        self.write("))(")
        # the arguments as Jinja writes them, each after a comma: the first comma dropped
        written, self.stream = self.stream, StringIO()
        try:
            self.signature(node, frame)
            arguments = self.stream.getvalue()
        finally:
            self.stream = written
        self.write(arguments.removeprefix(", "))
        self.write("))")

    def write_commons(self) -> None:
        super().write_commons()
        self.writeline("cp_vars, cp_parent = context.vars, context.parent")

    def enter_frame(self, frame: Frame) -> None:
        """Jinja's, each name the frame reads from the template's context looked up inline, as
        ``Context.resolve_or_missing`` looks: in what the template set, then in what it was given.

        A macro reads its context's names each time it is called (a deliverable's card,
        fourteen of them): five hundred Python calls a page. Names read from a context a
        loop or a ``with`` derives are resolved Jinja's way.
        """
        if self.get_context_ref() != "context":
            super().enter_frame(frame)
            return
        undefined = []
        for target, (action, name) in frame.symbols.loads.items():
            if action == VAR_LOAD_RESOLVE:
                self.writeline(f"{target} = cp_vars.get({name!r}, missing)")
                self.writeline(f"if {target} is missing: {target} = cp_parent.get({name!r}, missing)")
            elif action == VAR_LOAD_ALIAS:
                self.writeline(f"{target} = {name}")
            elif action == VAR_LOAD_UNDEFINED:
                undefined.append(target)
            elif action != VAR_LOAD_PARAMETER:
                raise NotImplementedError("unknown load instruction")
        if undefined:
            self.writeline(f"{' = '.join(undefined)} = missing")

    def macro_def(self, macro_ref: Any, frame: Frame) -> None:
        """Jinja's macro, made a `_PageMacro`."""
        written, self.stream = self.stream, StringIO()
        try:
            super().macro_def(macro_ref, frame)
            code = self.stream.getvalue()
        finally:
            self.stream = written
        # a Jinja that writes its macros otherwise keeps its own: the same pages, called through the context
        self.write("cp_" + code if code.startswith("Macro(") else code)

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        """``a ~ b`` joined by `concatenated` where Jinja would escape: ``markup_join``'s value, for less."""
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super().visit_Concat(node, frame)
            return
        self.write("cp_concatenated((")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("))")

    # What a template outputs, escaped inline: Markup (half of a page's 560 outputs) as it is, plain text by
    # MarkupSafe's own escaping, and anything else through `_PageEnvironment.escaped`: a Python call for
    # each output only where it is needed.
    def _output_child_pre(self, node: Any, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape or finalize.src is not None:
            self._outputs.append(None)
            super()._output_child_pre(node, frame, finalize)
            return
        value, kind = self.temporary_identifier(), self.temporary_identifier()
        self._outputs.append((value, kind))
        self.write(f"({value} if ({kind} := type({value} := ")

    def _output_child_post(self, node: Any, frame: Frame, finalize: Any) -> None:
        temporaries = self._outputs.pop()
        if temporaries is None:
            super()._output_child_post(node, frame, finalize)
            return
        value, kind = temporaries
        self.write(f")) is Markup else cp_escaped_text({value}) if {kind} is str else environment.escaped({value}))")


class _PageEnvironment(Environment):
    """A Jinja environment whose templates call plain callables straight away and output Markup as it is."""

    context_class = _PageContext
    code_generator_class = _PageCode

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._loaded: dict[str, Template] = {}

    @internalcode
    def get_template(
        self,
        name: str | Template,
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> Template:
        """Jinja's `get_template`, each template found once: a page includes twenty, and Jinja's own cache
        (least recently used, behind a lock) costs more a lookup than a dict; without `auto_reload`, as a
        build's environment is, it never looks at a template's file again either."""
        if globals is not None or self.auto_reload or type(name) is not str:
            return super().get_template(name, parent, globals)
        if name not in self._loaded:
            self._loaded[name] = super().get_template(name, parent)
        return self._loaded[name]

    @staticmethod
    def escaped(value: Any) -> str:
        """``escape(value)``, the same text: Markup (half of what a page outputs) as it is, plain text and
        numbers escaped without a Markup around them, since what a template outputs is only joined."""
        kind = type(value)
        if kind is Markup:
            return value  # type: ignore[no-any-return]  # a Markup (cast() would cost a call a value)
        if kind is str:
            return escaped_text(value)
        if kind is int:
            return str(value)  # digits and a sign: nothing to escape
        return escape(value)


class Renderer:
    """Renders page bodies and page shells; one Jinja environment per language."""

    def __init__(self, search_path: Sequence[Path] = (), *, compiled_in: Path | None = None) -> None:
        # Theme directories come first, so `custom_dir/client-portal/partials/x.html` wins;
        # they also provide Material's `.icons`.
        self.search_path = [*search_path, TEMPLATES_DIR]
        self._environments: dict[str, Environment] = {}
        self._compiled = _Compiled(compiled_in)  # templates compiled by earlier builds, when given

    @cached_property
    def loader(self) -> FileSystemLoader:
        return FileSystemLoader([str(p) for p in self.search_path])

    def environment(self, locale_name: str) -> Environment:
        """The Jinja environment for one locale, with its gettext catalog installed."""
        if locale_name not in self._environments:
            env = _PageEnvironment(
                loader=self.loader,
                autoescape=select_autoescape(default=True, default_for_string=True),
                undefined=StrictUndefined,
                extensions=["jinja2.ext.i18n"],
                # a Renderer lives for one build, so templates need no re-checking on every page
                auto_reload=False,
                bytecode_cache=self._compiled,
            )
            env.globals["svg_icon"] = self.icon
            env.globals["icon"] = self.icon_span
            env.filters["bdi"] = partial(isolated, rtl=text_direction(locale_name) == "rtl")
            env.filters["strip_place"] = strip_place
            env.filters["urlencode"] = urlencode
            catalog = translations(locale_name)
            env.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
            messages = Messages(catalog)
            env.globals.update(_=messages.gettext, gettext=messages.gettext, ngettext=messages.ngettext)
            self._environments[locale_name] = env
        return self._environments[locale_name]

    @cache  # noqa: B019 - a Renderer lives for one build; the cache goes with it
    def icon(self, name: str) -> Markup:
        """An SVG icon, inline: a user's own from ``custom_dir/.icons``, else the package's (``material/<name>``)."""
        found = [folder / ".icons" / f"{name}.svg" for folder in self.search_path]
        if name.startswith("material/"):
            found.append(ICONS_DIR / f"{name.removeprefix('material/')}.svg")
        for path in found:
            if path.is_file():
                return Markup(path.read_text(encoding="utf-8").strip())  # noqa: S704 - icon files, not user text
        return Markup("")

    @cache  # noqa: B019 - as above
    def icon_span(self, name: str) -> Markup:
        """``icon(name)`` in templates: a Material icon as the page shows it, a function rather than a
        macro because a page shows dozens (``macros.html`` keeps ``m.icon`` for templates of a user's own)."""
        mirrored = " cp-icon--mirrored" if name in MIRRORED_ICONS else ""
        return Markup('<span class="cp-icon{}" aria-hidden="true">{}</span>').format(
            mirrored, self.icon(f"material/{name}")
        )

    def body(self, context: dict[str, Any]) -> Markup:
        """The page content: every section for one client."""
        env = self.environment(str(context["locale"]))
        return Markup(env.get_template("client-portal/body.html").render(context))  # noqa: S704 - autoescaped template

    @staticmethod
    def sealed_body(body: Markup, assets: Assets) -> str:
        """What an encrypted page seals: its sections' stylesheet (hashed in the shell's CSP), then its content."""
        return Renderer.sealed_style(assets) + str(body)

    @staticmethod
    def sealed_style(assets: Assets) -> str:
        """How every encrypted page's sealed content starts: its sections' stylesheet."""
        return f"<style>{assets.page_stylesheet}</style>" if assets.page_stylesheet else ""

    def page(
        self,
        context: dict[str, Any],
        *,
        assets: Assets,
        body: Markup | None = None,
        payload: str | None = None,
        live_reload: bool = False,
    ) -> str:
        """A whole HTML document: the readable body (unlisted) or the encrypted payload and its gate.

        An encrypted page's shell is given only what its gate shows, never the record, so no
        template (a user's own included) can publish the record beside its ciphertext.
        """
        env = self.environment(str(context["locale"]))
        accent = context["accent"]
        # The accent is inlined only on readable pages; encrypted ones get it after decryption.
        accent_css = (
            f":root{{--cp-accent:{accent.light};--cp-accent-dark:{accent.dark}}}" if accent and not payload else ""
        )
        # A readable page carries all its style in <head>; an encrypted one only the gate's, the rest in its body.
        head_style = assets.stylesheet if payload else assets.stylesheet + assets.page_stylesheet
        body_style = assets.page_stylesheet if payload else ""
        shown = (
            {
                "lang": context["lang"],
                "dir": context["dir"],
                "mode": context["record"].access.mode,
                "freelancer": context["freelancer"],
            }
            if payload
            else context
        )
        page_context = {
            **shown,
            "body": body,
            "payload": Markup(payload) if payload else None,  # noqa: S704 - JSON escaped by publish.sealed_json
            "assets": assets,
            "stylesheet": Markup(head_style),  # noqa: S704 - the package's own stylesheet
            "accent_css": Markup(accent_css),  # noqa: S704 - hex colours computed by colour.py
            "live_reload": live_reload,
            "csp": Markup(  # noqa: S704 - no user text
                content_security_policy(
                    [style for style in (head_style, body_style, accent_css) if style], live_reload=live_reload
                )
            ),
        }
        try:
            return env.get_template("client-portal/page.html").render(page_context)
        except UndefinedError as error:
            if not payload:
                raise
            raise ShellError(
                f"a template of the encrypted page (client-portal/page.html or what it includes) uses"
                f" something it is not given: {error.message}. The page outside its encryption is given"
                f" only {', '.join(SHELL_NAMES)}; move anything about the client into"
                f" client-portal/body.html or its partials, which are encrypted"
            ) from None

    def notice(
        self,
        kind: str,
        locale_name: str,
        lang: str,
        freelancer: object,
        assets: Assets,
        site: str = "",
        built: str = "",
    ) -> str:
        """A neutral page naming no client: ``replaced`` (an old address) or ``index`` (the prefix folder).

        ``site`` is the site secret's public fingerprint, carried by the index with ``built``,
        the build's date: `status --site` tells from it when the daily build last ran.
        """
        env = self.environment(locale_name)
        context = {
            "kind": kind,
            "lang": lang,
            "dir": text_direction(locale_name),
            "freelancer": freelancer,
            "assets": assets,
            "site": site,
            "built": built,
        }
        return env.get_template("client-portal/notice.html").render(
            context,
            stylesheet=Markup(assets.stylesheet),  # noqa: S704 - the package's own stylesheet
            csp=Markup(content_security_policy([assets.stylesheet])),  # noqa: S704 - no user text
        )


def isolated(text: object, *, rtl: bool) -> Markup:
    """Record text (a name, a title, a number) in ``<bdi>`` where its direction can differ from the page's.

    On a right-to-left page every name is isolated (a Latin brand, a number with a hyphen);
    on a left-to-right one only a name that holds right-to-left letters: a Latin name there
    cannot reorder anything, and the page stays as light as it was.
    """
    if rtl or right_to_left(str(text)):
        return Markup("<bdi>{}</bdi>").format(text)
    return markup_of(escaped_text(text)) if type(text) is str else escape(text)


def urlencode(value: Any) -> str:
    """Jinja's ``urlencode`` filter, the same text (quoting keeps "/"): a string in one pass, as the calendar
    a page offers is a few kilobytes."""
    if type(value) is str:
        return percent_encoded(value, safe="/")
    return do_urlencode(value)


def strip_place(offset: float, rtl: bool) -> str:
    """A place on the timeline's strip, such as "12.50%": a share of its width from its start (its right end on a
    right-to-left page). A filter, not a macro, as a strip has dozens; told ``rtl``, not made per language,
    because Jinja works out a filter of constants once for the templates every language shares."""
    return f"{((1 - offset) if rtl else offset) * 100:.2f}%"


class Messages:
    """``_()`` and ``ngettext()`` for templates, as Jinja's newstyle gettext has them, each message looked up once.

    A page asks for a few hundred messages; Jinja's own functions go through the
    template context and the catalog every time.
    """

    def __init__(self, catalog: NullTranslations) -> None:
        self.catalog = catalog
        self._plain: dict[str, Markup] = {}
        self._texts: dict[str | tuple[str, str, int], str] = {}

    def gettext(self, message: str, /, **variables: Any) -> Markup:
        """The translated message, with ``%(name)s`` placeholders filled in and escaped."""
        if variables:
            if message not in self._texts:
                self._texts[message] = self.catalog.gettext(message)
            return _filled(self._texts[message], variables)
        if message not in self._plain:
            # formatted even without variables, as Jinja does: "%%" becomes "%"
            self._plain[message] = Markup(self.catalog.gettext(message)) % {}  # noqa: S704 - the catalog's own text
        return self._plain[message]

    def ngettext(self, singular: str, plural: str, num: int, /, **variables: Any) -> Markup:
        """The singular or plural message for ``num``, which also fills ``%(num)s``."""
        variables.setdefault("num", num)
        if type(num) is not int:
            return _filled(self.catalog.ngettext(singular, plural, num), variables)
        key = (singular, plural, num)  # counts on a page are small numbers: a few forms each
        if key not in self._texts:
            self._texts[key] = self.catalog.ngettext(singular, plural, num)
        return _filled(self._texts[key], variables)


# A placeholder written from its value's repr(), which Markup's "%" escapes after the repr is taken.
_REPR_PLACEHOLDER = re.compile(r"%\([^)]*\)[-#0 +.\d]*r")


def _filled(text: str, variables: dict[str, Any]) -> Markup:
    """``Markup(text) % variables``, the same text: text and numbers, most of what a page fills in, are escaped
    (or left, as numbers need no escaping) here rather than through Markup's wrapper around every value."""
    values: dict[str, Any] = {}
    for name, value in variables.items():
        kind = type(value)
        if kind is str:
            values[name] = escaped_text(value)
        elif kind is Markup or kind is int or kind is float:
            values[name] = value
        else:
            break
    else:
        if not _has_repr_placeholder(text):
            return markup_of(text % values)  # the catalog's own text, the values escaped
    return Markup(text) % variables  # noqa: S704 - the catalog's own text


@lru_cache(maxsize=4096)
def _has_repr_placeholder(text: str) -> bool:
    """Whether a message has a ``%(name)r`` placeholder: asked of the same few hundred messages on every page."""
    return _REPR_PLACEHOLDER.search(text) is not None


def content_security_policy(inline_styles: list[str], *, live_reload: bool = False) -> str:
    """Only what a client page needs: its own origin's files, data: images, hashed inline styles.

    ``live_reload`` (only while `mkdocs serve` runs, never in a build) also lets the inline
    script MkDocs adds to every page it serves run: it differs on every request, so no hash fits.
    """
    hashes = " ".join(map(_style_hash, inline_styles))
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self' 'unsafe-inline'" if live_reload else "script-src 'self'",
            f"style-src 'self' {hashes}".strip(),
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",  # attached files are fetched from the page's own folder
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


@cache
def _style_hash(style: str) -> str:
    """A CSP source for one inline style; the stylesheet is the same on every page, so hashed once."""
    return f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'"
