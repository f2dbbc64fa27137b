"""Secret redaction: every string from a trace passes through here before any output.

Traces hold every command, file and header the agent touched, so API keys, tokens and
passwords are the normal case, not an edge case. `Redactor.text` replaces each secret in a
string by a marker naming its kind, `[redacted:KIND]`; `Redactor.value` does the same for any
JSON value (strings, dictionary keys and values, list items). `Redactor.receipt` counts what was
removed, per kind, counting each distinct secret once however often it is shown. Redact a
string before cutting it short for display: a cut can split a secret from what identifies it.

Kinds (the marker names):

=================  ==================================================================
kind               what
=================  ==================================================================
private-key        `-----BEGIN … PRIVATE KEY-----` blocks (RSA, EC, OPENSSH, PGP …), to
                   END or, when Attocode cut the string before END, to the end of the key
                   text; PuTTY key files
jwt                JSON Web Tokens (`eyJ….….sig`)
anthropic-key      `sk-ant-…`
openai-key         `sk-proj-…`, `sk-svcacct-…`, `sk-admin-…`, legacy `sk-…T3BlbkFJ…`
ai-key             other AI-provider keys: `sk-…` (DeepSeek, OpenRouter, …), `xai-`,
                   `gsk_`, `pplx-`, `r8_`, `hf_`, `nvapi-`
google-api-key     `AIza…`
google-oauth       `ya29.…` access tokens, `GOCSPX-…` client secrets
stripe-key         `sk_live_`, `sk_test_`, `rk_…`, `pk_…`, `whsec_…`
github-token       `ghp_ gho_ ghu_ ghs_ ghr_` (classic), `github_pat_` (fine-grained)
gitlab-token       `glpat-`, `gldt-`, `glrt-`, … (GitLab)
api-token          other vendor tokens with a known prefix: npm, PyPI, SendGrid, Shopify,
                   DigitalOcean, Vault, Doppler, Linear, Telegram bots, Mailgun, Square
aws-access-key     AWS access key ids `AKIA…`, `ASIA…` (also ABIA, ACCA, A3T…)
aws-secret-key     the value of `aws_secret_access_key = …`, `"SecretAccessKey": "…"`
slack-token        `xoxb-`, `xoxp-`, `xoxa-`, `xoxe.xoxp-`, `xapp-` …
slack-webhook      the secret path of `https://hooks.slack.com/services/…` (the host stays)
discord-webhook    the secret path of `https://discord.com/api/webhooks/…`
auth-header        the value of `Authorization:` / `Proxy-Authorization:` (headers, JSON,
                   `curl -H`), of `Bearer …`, of `Basic …` and of Docker's `"auth"` (when
                   they decode to user:password)
url-password       the password in `scheme://user:PASS@host` (user and host stay); `curl -u
                   user:PASS`, `mysql -pPASS`, `sshpass -p PASS`, `.netrc` passwords
password           values of names that say PASSWORD, PASSWD, PASSPHRASE, …_PASS, …_PWD
secret             values of names that say KEY, TOKEN or SECRET (`API_KEY=…`,
                   `export GITHUB_TOKEN=…`, `"client_secret": "…"`, `--api-key …`,
                   YAML `secret: …`, `X-Api-Key: …`, `?access_token=…`)
=================  ==================================================================

A token that Attocode cut off at 500 characters, at the end of a string, is still redacted
(by its prefix). A value held by a secret's name is found in `NAME=value` (.env, shell),
`NAME = value`, `"name": "value"` (JSON, also escaped), `name: value` (YAML, headers),
`--name value` / `--name=value` (flags), `?name=value` (URLs) and as a dictionary value.

What is NOT a secret (and survives): event ids, uuids, git SHAs and other hashes, paths, tool
names, URLs without credentials, token counts (`"tokens": 4243`, `input_tokens`,
`max_tokens=4096`, "tokens saved": plural names, counters and numbers are not secrets), names
that say what a key is for rather than holding it (`cache_key`, `primary_key`, `public_key`,
`token_type`, `api_key_env`, `password_policy`, `TOKEN_URL`), placeholders (`$API_KEY`,
`${{ secrets.X }}`, `<token>`, `***`, `None`) and code (`api_key = os.environ["API_KEY"]`,
`password: str`, `token = self._token`, `"Authorization": f"Bearer {token}"`). A KEY or TOKEN
whose name does not say it is a credential (`xml_key`, a bare `token`) needs a value that looks
like one, since in code those are lookup keys and lexer tokens.

How it works: one table, `RULES`, of (kind, anchors, pattern with its `secret` group, check).
A string is first searched once, lowercased, for every rule's anchors (a literal each match
contains); a clean string stops there, in about a microsecond. Only the rules whose anchors
occur are run, each starting with a literal so Python's engine can skip to candidates; rules
on names (assignments, flags) start from the names holding a keyword. Matches of all rules are
merged where they overlap (the union is redacted, named by the earliest rule in the table), so
nothing any rule found leaks beside a marker. Markers are opaque to the rules, and the result
is rescanned until nothing changes, so redacting is idempotent. Strings that needed a scan are
cached (bounded), so a string shown many times is scanned once.

The rules are our own, after evaluating the libraries: detect-secrets (Yelp, 1.5.0) and its
Bridgecrew fork (bc-detect-secrets 1.5.52) scan lines and report values, not spans, found 22
and 21 of our 51 test secrets and cost ~100 µs per short string; redact-secret (0.1.0b15,
Rust, beta) found 37 (no `sk-proj-` keys, Slack webhooks or cut-off private keys, and takes no
custom rules); redact-transcripts (0.1.0) found 45 at ~20 µs per short string and 2 MB/s.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "KINDS",
    "MARKER_PREFIX",
    "Hit",
    "Receipt",
    "Redactor",
    "find_secrets",
    "marker",
    "secret_name_kind",
]

MARKER_PREFIX = "[redacted:"
#: Every kind a marker can name, as listed above.
KINDS = (
    "private-key",
    "jwt",
    "anthropic-key",
    "openai-key",
    "ai-key",
    "google-api-key",
    "google-oauth",
    "stripe-key",
    "github-token",
    "gitlab-token",
    "api-token",
    "aws-access-key",
    "aws-secret-key",
    "slack-token",
    "slack-webhook",
    "discord-webhook",
    "auth-header",
    "url-password",
    "password",
    "secret",
)

#: Rescans of a redacted string (each removes text, so it ends; one is the rule, two are rare).
_MAX_PASSES = 8
#: Strings that needed a full scan are cached up to this many entries, each at most this long.
CACHE_ENTRIES = 4096
CACHE_MAX_CHARS = 4096
#: Clean strings remembered (up to this many, this long): the ones that repeat are short.
CLEAN_ENTRIES = 16384
CLEAN_MAX_CHARS = 256

# --------------------------------------------------------------------------------------------
# Names: which names of assignments, dictionary keys and flags hold secrets
# --------------------------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words in a name that say it is about a secret, not the secret itself (`token_count`,
#: `api_key_env`, `password_policy`, `tokenUsage`, `secret_name`).
_METADATA_WORDS = _words(
    """
    count counts num number max min limit limits total used usage saved budget remaining left length
    len size type types kind name names id ids path paths file files filename dir folder env var
    variable field header prefix suffix hint policy format url uri endpoint expiry expires expiration
    expired ttl timeout lifetime age estimate estimated rate per window index position offset ratio
    percent pct cost price required enabled disabled present valid missing source rotation version
    label description desc help message msg error errors regex pattern mask masked strength column col
    location helper manager mode method status exists flag option options input output prompt
    completion reasoning cached cache context stdin stdout fd cmd command prompted
    placeholder example sample template schema
    """
)

#: Words before KEY that make it a non-secret key (`primary_key`, `cache_key`, `public_key`).
_NON_SECRET_KEY_WORDS = _words(
    """
    public pub primary foreign sort partition cache hot lookup idempotency object row range hash dedup
    dedupe unique composite group shard routing map dict registry sequence natural surrogate compound
    candidate join parent child react list item dictionary redis memcache s3 translation i18n locale
    state jwks
    """
)

#: Words before TOKEN that make it a non-secret token (pagination cursors, tokenizer specials).
_NON_SECRET_TOKEN_WORDS = _words(
    """
    next page continuation cancellation cancel pagination eos bos pad unk special stop sep cls mask end
    start first last sync cursor sentinel lexer parser syntax
    """
)

#: Single words that hold a key although they do not end in a separate "key".
_GLUED_KEY_WORDS = _words(
    """
    apikey accesskey secretkey privatekey authkey masterkey clientkey signingkey encryptionkey
    licensekey accountkey subscriptionkey servicekey appkey devkey consumerkey sharedkey
    """
)

#: Words before KEY or TOKEN that say it is a credential (`api_key`, `access_token`). With
#: another word before it (`xml_key`, `stats_key`, `current_token`), a KEY or TOKEN in code is
#: often a lookup key or a lexer token, so its value must also look like a credential.
_SECRET_QUALIFIERS = _words(
    """
    api access auth private master encryption encrypt signing sign client license account
    subscription consumer deploy session refresh bearer bot csrf xsrf oauth personal service app
    admin shared webhook jwt sso login user ssh gpg pgp hmac crypto install registration
    security sas upload github gh gitlab npm pypi slack discord telegram hf huggingface openai
    anthropic stripe twilio sendgrid mailgun aws gcp azure google vercel netlify heroku cloudflare
    docker sentry datadog
    """
)

#: Words that may follow KEY or TOKEN in a name that still holds one (`API_KEY_PROD`).
_QUALIFIERS_AFTER = _words(
    """
    value val string str text data b64 base64 hex raw plain enc encrypted prod production dev
    development test staging live sandbox old new current v1 v2 v3 1 2 3
    """
)

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_PASSWORD_WORD = re.compile(r"pass(?:word|wd|phrase)|^(?!oldpwd$).+pwd$")


def _name_words(name: str) -> list[str]:
    """`FAKE_DB_PASSWORD` -> fake, db, password; `apiKeySource` -> api, key, source. Of a dotted
    name only the last part counts: `self.password` -> password, `token.info` -> info."""
    name = name.strip("\\\"' -.").rsplit(".", 1)[-1]
    spaced = _CAMEL_BOUNDARY.sub(" ", name)
    return [w for w in _NON_ALNUM.split(spaced.lower()) if w]


#: How much a value assigned to a name must look like a secret (see `_value_is_secret`).
ANY_VALUE, NOT_A_WORD, CREDENTIAL = 0, 1, 2


def secret_name_kind(name: str) -> str | None:
    """The kind of secret a name holds (`DB_PASSWORD` -> "password", `API_KEY` -> "secret",
    `aws_secret_access_key` -> "aws-secret-key", `Authorization` -> "auth-header"), or None for
    names that do not hold one (`max_tokens`, `cache_key`, `token_type`, `key`, `token.info`)."""
    found = _classify_name(name)
    return found[0] if found else None


@functools.lru_cache(maxsize=4096)
def _classify_name(name: str) -> tuple[str, int] | None:
    """(kind, strictness) for a name that holds a secret, else None.

    Strictness says what a value under that name must look like: PASSWORD, SECRET and
    Authorization take ANY_VALUE; a KEY or TOKEN named for a credential (`api_key`,
    `GITHUB_TOKEN`) anything but a plain word (NOT_A_WORD: `"AccessToken": "minutes"` is a
    unit); any other KEY or TOKEN (`xml_key`, a bare `token`) a CREDENTIAL, since in code those
    are usually lookup keys and lexer tokens (`Token: "#d8dee9"` is a style).
    """
    words = _name_words(name)
    if not words or any(w in _METADATA_WORDS for w in words):
        return None
    if words[-1] in ("authorization", "cookie") and len(words) <= 2:
        return "auth-header", ANY_VALUE
    last_word_says_password = words[-1] == "pass" or (words[-1] == "pwd" and len(words) > 1)
    if last_word_says_password or any(_PASSWORD_WORD.search(w) for w in words):
        return "password", ANY_VALUE  # DB_PASSWORD, db_passwd, SMTP_PASS, MYSQL_PWD (not PWD)
    if words == ["auth"]:
        return "auth-header", CREDENTIAL  # Docker's config.json: {"auth": base64("user:password")}
    joined = "".join(words)
    if "secret" in joined and "secretary" not in joined:
        if "secretaccesskey" in joined or ("aws" in words and "secret" in joined):
            return "aws-secret-key", ANY_VALUE
        return "secret", ANY_VALUE
    for i, word in enumerate(words):
        before, after = words[:i], words[i + 1 :]
        if after and not all(w in _QUALIFIERS_AFTER for w in after):
            continue  # KEY or TOKEN is not what the name names (`TOKEN_COMMENT_END`)
        qualifier = before[-1] if before else ""
        named = NOT_A_WORD if qualifier in _SECRET_QUALIFIERS else CREDENTIAL
        if word.endswith("token") and qualifier not in _NON_SECRET_TOKEN_WORDS:
            return "secret", NOT_A_WORD if word != "token" else named
        if word in _GLUED_KEY_WORDS or word.endswith("apikey"):
            return "secret", NOT_A_WORD
        if word == "key" and qualifier and qualifier not in _NON_SECRET_KEY_WORDS:
            return "secret", named
    return None


# --------------------------------------------------------------------------------------------
# Values: which assigned values are secrets (not placeholders, paths, counters or code)
# --------------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(
    r"""(?ix)
    \$\{?[A-Za-z_][A-Za-z0-9_]*\}?      # $API_KEY, ${API_KEY}
    | \$[({].*                          # $(cat key), ${{ secrets.X }}
    | %[A-Za-z_][A-Za-z0-9_]*%          # %API_KEY%
    | <[^<>]*>                          # <token>
    | \{\{.*\}\} | \{[A-Za-z_][\w.]*\}  # {{ template }}, f-string {token}
    | [*x•.…_-]{3,} | .*\*{3}.*         # ***, xxxx, ..., ---, :****
    | none|null|nil|true|false|undefined|empty|redacted|hidden|masked|changeme|value|values
    | foo|bar|baz|dummy|placeholder|example|(?:your|insert|replace|example|fake|dummy)[-_ ].*
    | __\w+__                           # __root__
    | secret|password|passwd|pass|pwd|token|key|api[_-]?key
    | (?:str|string|bytes|int|number|bool|boolean|any|unknown|object|optional|secretstr)\??
    """
)
_DOTTED_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SNAKE_CASE = re.compile(r"_*[a-z][a-z0-9]*(?:_+[a-z0-9]+)+_*")
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_PATH = re.compile(r"(?:~|\.{1,2})?/[^\s]*|[A-Za-z]:\\.*")
_TOKEN_TEXT = re.compile(r"[A-Za-z0-9._~+/=:\-]+")
#: A value that names a field rather than holding it: `secret_key`, `role-secret-key`,
#: `challengePassword`, `OPENAI_API_KEY`, `no-password-required`.
_FIELD_NAME = re.compile(r"(?i)[a-z_][a-z_.\-]*(?:key|token|secret|passw|passphrase|pwd)[a-z_.\-]*")


@functools.lru_cache(maxsize=4096)
def _value_is_secret(value: str, kind: str, style: str = "quoted", strictness: int = ANY_VALUE) -> bool:
    """Whether `value`, assigned to a name holding a `kind` secret, is one.

    Never: placeholders (`$API_KEY`, `<token>`, `***`, `None`), paths, numbers (but a 4+ digit
    password), field and variable names, ARNs, prose. `style` is how it was written:
    "quoted" (`"…"`, JSON, dictionary values), "env" (`NAME=value`, flags) or "code"
    (`name = value`, `name: value`, where a bare identifier, dotted name or snake_case name is a
    variable: `api_key = key`, `password = self.password`). `strictness` comes with the name
    (`_classify_name`).
    """
    if kind == "auth-header":
        value = _AUTH_SCHEME.sub("", value)
    if len(value) < 3 or MARKER_PREFIX in value or _PLACEHOLDER.fullmatch(value):
        return False
    if value.isdigit():
        return kind == "password" and len(value) >= 4
    if value != value.strip() or value.count(" ") >= 3 or value.startswith("arn:"):
        return False  # prose, a mis-split quote, an AWS resource name
    if (_PATH.fullmatch(value) and kind != "aws-secret-key") or _FIELD_NAME.fullmatch(value):
        return False  # a file holding the secret, or the name of the field or variable holding it
    has_digit = any(c.isdigit() for c in value)
    if style == "code" and (_DOTTED_IDENTIFIER.fullmatch(value) or _SNAKE_CASE.fullmatch(value)):
        return False  # `password = self.password`, `key = _pep_440_key`
    if style == "code" and _IDENTIFIER.fullmatch(value) and not has_digit:
        return False  # `api_key = key`
    if _DOTTED_IDENTIFIER.fullmatch(value) and not has_digit:
        return False  # `token = request.token`
    if strictness >= CREDENTIAL:
        return _looks_like_credential(value) or _is_basic_credential(value)
    return strictness < NOT_A_WORD or not (value.isalpha() and value.islower())


_AUTH_SCHEME = re.compile(r"(?i)^(?:bearer|basic|token|bot)\s+")


@functools.lru_cache(maxsize=4096)
def _looks_like_credential(text: str) -> bool:
    """A credential by its look alone: 8+ token characters (letters, digits, `._~+/=:-`) with a
    digit, or 32+ in mixed case; not a snake_case or dotted name, not CamelCase words, not a
    uuid (an id: a key that is a uuid is found by its name, `api_key`, not by its look)."""
    if len(text) < 8 or not _TOKEN_TEXT.fullmatch(text) or _UUID.fullmatch(text):
        return False
    parts = text.split(".")
    if all(_is_a_name(p) or len(p) <= 3 for p in parts) and any(_is_a_name(p) for p in parts):
        return False  # `_pep_440_key`, `win32api.RegEnumKey`, `fs.s3.retryPeriodSeconds`
    has_digit = any(c.isdigit() for c in text)
    mixed = text.lower() != text and text.upper() != text
    return has_digit or (len(text) >= 32 and mixed)


@functools.lru_cache(maxsize=1024)
def _is_basic_credential(text: str) -> bool:
    """Base64 of `user:password` (HTTP Basic, Docker's `auth`)."""
    if len(text) < 8 or len(text) > 1000:
        return False
    try:
        decoded = base64.b64decode(text + "=" * (-len(text) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    user, sep, password = decoded.partition(":")
    return bool(sep and user and password) and decoded.isprintable()


def _is_a_name(part: str) -> bool:
    """A word or a name made of words (`retry`, `_pep_440_key`, `TrustStoreRevocations`,
    `collaborationMLInputChannelsList`), not random characters: split at `_`, digits and
    capitals, every word is short or has 3+ lowercase letters, and at least half have."""
    words = [w for w in _NAME_PARTS.findall(part) if w != "_"]
    if not words or "".join(words) != part.replace("_", ""):
        return False
    lower = [sum(c.islower() for c in w) for w in words]
    if not all(n >= 3 or len(w) <= 3 or w.isdigit() for w, n in zip(words, lower, strict=True)):
        return False
    return 2 * sum(n >= 3 for n in lower) >= len(words)


_NAME_PARTS = re.compile(r"[A-Z]*[a-z]+[0-9]*|[A-Z]+[0-9]*(?![a-z])|[0-9]+|_")


# --------------------------------------------------------------------------------------------
# Matches and checks
# --------------------------------------------------------------------------------------------

_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_NAME_CHAR_STRING = "".join(sorted(_TOKEN_CHARS | {"."}))
_URL_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


class Found:
    """A rule's match, read from the scanned string (a rule may run on its lowercased copy,
    which has the same length, so spans are the same)."""

    def __init__(self, match: re.Match[str], text: str) -> None:
        self.match = match
        self.text = text

    def group(self, name: str) -> str | None:
        """The original text of group `name` (None when it did not take part)."""
        if name not in self.match.re.groupindex:
            return None
        start, end = self.match.span(name)
        return None if start < 0 else self.text[start:end]

    @property
    def secret(self) -> str:
        start, end = self.secret_span
        return self.text[start:end]

    @property
    def secret_span(self) -> tuple[int, int]:
        """Where the secret is: the first of the groups `secret`, `v_dq`, `v_sq`, `v_raw` that
        took part, else the whole match."""
        for name in ("secret", "v_dq", "v_sq", "v_raw"):
            if name in self.match.re.groupindex and self.match.start(name) >= 0:
                return self.match.span(name)
        return self.match.span()

    def ends_a_word(self) -> bool:
        """No letter, digit, `_` or `-` right after the match (`_token` patterns check the
        character before themselves)."""
        end = self.match.end()
        return end == len(self.text) or self.text[end] not in _TOKEN_CHARS


Check = Callable[[Found], "str | None"]
"""A rule's check: the kind to report for this match, or None when it is not a secret."""


def _always(kind: str) -> Check:
    return lambda f: kind


def _standalone(kind: str) -> Check:
    """Vendor tokens with a fixed prefix: a secret when not part of a longer word."""
    return lambda f: kind if f.ends_a_word() else None


def _key_material(f: Found) -> str | None:
    """A private-key block with key material in it (not a bare header in code, not a
    `<key omitted>` placeholder)."""
    return "private-key" if _BASE64_RUN.search(f.secret) else None


_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{16}")


def _alnum_run(kind: str) -> Check:
    """Short generic prefixes (`sk-`, `hf_`): the body also needs a run of 16+ letters and
    digits with both, so `sk-feature-login-page-v2` stays."""

    def check(f: Found) -> str | None:
        if not f.ends_a_word():
            return None
        for run in _ALNUM_RUN.findall(f.secret):
            if any(c.isdigit() for c in run) and any(c.isalpha() for c in run):
                return kind
        return None

    return check


_ALNUM_RUN = re.compile(r"[A-Za-z0-9]{16,}")


def _after_word_start(kind: str, check: Check | None = None) -> Check:
    """A keyword (`authorization`, `bearer`, `basic`) that starts a word, then `check`."""

    def run(f: Found) -> str | None:
        start = f.match.start()
        if start and f.text[start - 1].isalnum():
            return None
        return check(f) if check else kind

    return run


def _auth_value(f: Found) -> str | None:
    secret = f.secret
    if f.group("scheme"):
        return "auth-header" if len(secret) >= 6 else None
    return "auth-header" if _looks_like_credential(secret) else None


def _bearer_value(f: Found) -> str | None:
    return "auth-header" if _looks_like_credential(f.secret) else None


def _basic_value(f: Found) -> str | None:
    """`Basic …` outside a header: only when it decodes to `user:password`."""
    return "auth-header" if _is_basic_credential(f.secret) else None


def _url_password(f: Found) -> str | None:
    """`scheme://user:PASS@host`: a scheme right before `://`, and a real password."""
    start = f.match.start()
    if not start or not f.text[start - 1].isalnum():
        return None
    return _command_password(f)


def _command_password(f: Found) -> str | None:
    secret = f.secret
    if secret.startswith("-") or not _value_is_secret(secret.strip("'\""), "password", "env"):
        return None
    return "url-password"


def _query_parameter(f: Found) -> str | None:
    """`?access_token=…&page=2`: the value ends at `&`."""
    named = _classify_name(f.group("name") or "")
    if named is None:
        return None
    return named[0] if _value_is_secret(f.secret, named[0], "env", named[1]) else None


def _assignment(f: Found) -> str | None:
    """`NAME = value` and friends: the name must hold a secret and the value must be one."""
    named = _classify_name(f.group("name") or "")
    start = f.match.start()
    if named is None or (start and f.text[start - 1] in "?&"):
        return None  # not a secret's name; a URL's query parameter (`_query_parameter`)
    kind, strictness = named
    name, value = f.group("name") or "", f.secret
    if f.group("nq") and (not start or f.text[start - 1] not in "\"'"):
        return None  # the quoted key is longer than the name: `"AWS::AppSync::ApiKey": "…"`
    if len(name) >= 6 and name.lower() in value.lower():
        return None  # `"IAMUserChangePassword": "arn:…:policy/IAMUserChangePassword"`
    if f.group("v_raw") is None:  # quoted
        if _next_char(f.text, f.match.end()) in _EXPRESSION_NEXT and not _looks_like_credential(value):
            return None  # `key = "yaxis{0}".format(n)`: part of an expression
        return kind if _value_is_secret(value, kind, "quoted", strictness) else None
    sep, quoted_name = f.group("sep") or "", bool(f.group("nq"))
    end = _next_char(f.text, f.match.end(), skip="")  # what ends the value: `(` makes it a call
    if end in ("(", "[") or (sep.strip() == ":" and not (sep.endswith((" ", "\t")) or quoted_name)):
        return None  # a call or an index (`token=len(x)`); `a:b` is a slice or a port, not YAML
    env_style = sep == "=" and not quoted_name and end not in (",", ")")
    if env_style and name.lstrip("-").isupper():
        strictness = min(strictness, NOT_A_WORD)  # `OPENAI_KEY=abc` in a .env file is a key
    return kind if _value_is_secret(value, kind, "env" if env_style else "code", strictness) else None


_EXPRESSION_NEXT = frozenset(".([%+")


def _next_char(text: str, pos: int, skip: str = " \t") -> str:
    """The first character at or after `pos` that is not in `skip` ('' at the end)."""
    while pos < len(text) and text[pos] in skip:
        pos += 1
    return text[pos] if pos < len(text) else ""


def _flag(f: Found) -> str | None:
    """`--password VALUE`, `--api-key VALUE`. A lowercase word after a flag is prose
    (`the --password option`), not its value."""
    named = _classify_name(f.group("name") or "")
    value = f.secret
    if named is None or value.startswith("-"):
        return None
    kind, strictness = named
    if f.group("v_raw") is not None and value.isalpha() and value.islower():
        return None
    return kind if _value_is_secret(value, kind, "env", strictness) else None


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One detection rule.

    `anchors`: lowercase literals, one of which every match contains (the pre-filter).
    `source`, `flags`: the regular expression; its group `secret` (for assignments, the value
    group that matched) is what the marker replaces, else the whole match. It is compiled
    (`pattern`) the first time a string holds one of the rule's anchors: compiling all of them
    took a sixtieth of a second on every run, and most runs need a few.
    `check`: the kind to report for a match, or None to reject it.
    `lowered`: the pattern runs on the lowercased string (it is written in lowercase), for
    case-insensitive keywords; the secret is still read from the original.
    `at_names`: the pattern is matched at the start of every name (`[A-Za-z0-9_.-]+`) that
    holds a secret (found from its keyword, `_secret_name_starts`) instead of searched:
    assignments and flags.
    `tail`: only the last `tail` characters are searched (tokens cut off at the end).
    """

    kind: str
    anchors: tuple[str, ...]
    source: str
    check: Check
    lowered: bool = False
    at_names: bool = False
    tail: int = 0
    flags: int = 0

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(self.source, self.flags)


def _rule(
    kind: str,
    anchors: str,
    pattern: str,
    check: Check | None = None,
    *,
    flags: int = 0,
    lowered: bool = False,
    at_names: bool = False,
    tail: int = 0,
) -> Rule:
    return Rule(kind, tuple(anchors.split()), pattern, check or _standalone(kind), lowered, at_names,
                tail, flags)


#: Inserted after a token's first character: the character before the token is no letter,
#: digit, `_` or `-` (a URL escape, `%3D`, may be). Checked there, not after the match, so that
#: inside a long run (`eyJeyJeyJ…`) each start fails at once instead of scanning the run.
_WORD_START = r"(?:(?<![A-Za-z0-9_\-].)|(?<=%[0-9A-Fa-f]{2}.))"


def _token(kind: str, anchors: str, pattern: str, check: Check | None = None) -> Rule:
    """A token with a prefix of its own: `pattern` starts with a literal character."""
    assert pattern[0].isalnum(), pattern
    return _rule(kind, anchors, pattern[0] + _WORD_START + pattern[1:], check)


def _after_token(f: Found) -> str | None:
    """Telegram: the token follows its bot id (`123456789:AA…`), and ends a word."""
    return "api-token" if f.ends_a_word() else None


# Every pattern starts with a literal where it can: Python's engine then finds candidates with a
# fast substring search instead of trying every position (50x faster on clean text).
_KEYWORDS = "key ken cret pass pwd auth"  # KEY, TOKEN, SECRET, PASS(WORD), PWD; AUTH (Docker)
#: Attocode cuts every string in a trace event to this many characters.
ATTOCODE_CUT = 500
#: Prefixes of tokens, for a token that Attocode cut off at the end of a string: too short for
#: its own pattern, and still part of a secret.
_CUT_OFF_KINDS = {
    "sk-ant-": "anthropic-key",
    "sk-proj-": "openai-key",
    "sk-svcacct-": "openai-key",
    "sk-admin-": "openai-key",
    "sk-": "ai-key",
    "xai-": "ai-key",
    "gsk_": "ai-key",
    "hf_": "ai-key",
    "AIza": "google-api-key",
    "ya29.": "google-oauth",
    "GOCSPX-": "google-oauth",
    "sk_live_": "stripe-key",
    "sk_test_": "stripe-key",
    "rk_live_": "stripe-key",
    "rk_test_": "stripe-key",
    "pk_live_": "stripe-key",
    "pk_test_": "stripe-key",
    "whsec_": "stripe-key",
    "ghp_": "github-token",
    "gho_": "github-token",
    "ghu_": "github-token",
    "ghs_": "github-token",
    "ghr_": "github-token",
    "github_pat_": "github-token",
    "glpat-": "gitlab-token",
    "npm_": "api-token",
    "pypi-AgE": "api-token",
    "hvs.": "api-token",
    "SG.": "api-token",
    "shpat_": "api-token",
    "dop_v1_": "api-token",
    "AKIA": "aws-access-key",
    "ASIA": "aws-access-key",
    "xoxb-": "slack-token",
    "xoxp-": "slack-token",
    "xoxa-": "slack-token",
    "xoxe": "slack-token",
    "xapp-": "slack-token",
    "eyJ": "jwt",
}
_CUT_OFF_PATTERN = (
    r"(?P<secret>(?P<prefix>"
    + "|".join(re.escape(prefix) for prefix in sorted(_CUT_OFF_KINDS, key=len, reverse=True))
    + r")[A-Za-z0-9_.\-]{4,})(?:\.\.\.|…)?\Z"
)


def _cut_off_token(f: Found) -> str | None:
    """A token prefix at the very end of a string as long as Attocode's cut (500 characters):
    the rest of the token was cut off."""
    if len(f.text) < ATTOCODE_CUT - 10:
        return None
    start = f.match.start()
    before = f.text[start - 1] if start else ""
    if before in _TOKEN_CHARS and not _URL_ESCAPE.fullmatch(f.text, max(0, start - 3), start):
        return None
    return _CUT_OFF_KINDS.get(f.group("prefix") or "")


def _env_line(f: Found) -> str | None:
    """`export DB_PASSWORD=p@ss(word)` in a shell or a .env file: the value is the whole word,
    whatever characters it holds."""
    named = _classify_name(f.group("name") or "")
    if named is None:
        return None
    value = f.secret
    if _CODE_EXPRESSION.match(value):
        return None  # `API_KEY=os.environ["API_KEY"]`
    return named[0] if _value_is_secret(value, named[0], "env", min(named[1], NOT_A_WORD)) else None


_CODE_EXPRESSION = re.compile(r"[A-Za-z_][\w.]*[(\[]")

_VALUE = (
    r"(?:\\\"(?P<secret>(?:[^\"\\\n]|\\[^\"\n]){1,2000})\\\""  # \"value\" (escaped JSON)
    r"|\"(?P<v_dq>(?:[^\"\\\n]|\\.){1,2000})\""  # "value"
    r"|'(?P<v_sq>[^'\n]{1,2000})'"  # 'value'
    r"|(?P<v_raw>[^\s\"'`,;|()\[\]{}<>\\]{1,2000}))"  # value (ends at a space, quote, bracket …)
)

# Where matches overlap, the union is redacted and named by the earliest rule.
RULES: tuple[Rule, ...] = (
    # kind              anchors        pattern (group `secret`, else the whole match)
    _rule(
        "private-key",
        "-----begin",
        r"-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----"
        r"(?:(?:(?!-----BEGIN).){0,20000}?-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----"
        r"|(?:(?!-----)[A-Za-z0-9+/=\s\\:,.\-]){0,20000})",
        _key_material,
        flags=re.DOTALL,
    ),
    _rule(
        "private-key",
        "key-file",
        r"PuTTY-User-Key-File-\d+:(?:(?!PuTTY-User-Key-File).){0,20000}?"
        r"(?:Private-MAC:[ \t]*[0-9a-fA-F]+|\Z)",
        _always("private-key"),
        flags=re.DOTALL,
    ),
    _token("jwt", "yj", r"eyJ[A-Za-z0-9_\-]{10,}=*\.[A-Za-z0-9_\-]{10,}=*(?:\.[A-Za-z0-9_\-]*=*){1,3}"),
    _token("anthropic-key", "sk-ant-", r"sk-ant-[A-Za-z0-9_\-]{20,}"),
    _token(
        "openai-key",
        "sk-",
        r"sk-(?:(?:proj|svcacct|admin|None)-[A-Za-z0-9_\-]{20,}|[A-Za-z0-9_\-]{0,100}T3BlbkFJ[A-Za-z0-9_\-]{10,})",
    ),
    _token("ai-key", "sk-", r"sk-[A-Za-z0-9_\-]{20,}", _alnum_run("ai-key")),
    _token("ai-key", "xai-", r"xai-[A-Za-z0-9_\-]{20,}", _alnum_run("ai-key")),
    _token("ai-key", "pplx-", r"pplx-[A-Za-z0-9_\-]{20,}", _alnum_run("ai-key")),
    _token("ai-key", "vapi-", r"nvapi-[A-Za-z0-9_\-]{20,}", _alnum_run("ai-key")),
    _token("ai-key", "sk_", r"gsk_[A-Za-z0-9]{20,}", _alnum_run("ai-key")),
    _token("ai-key", "8_", r"r8_[A-Za-z0-9]{20,}", _alnum_run("ai-key")),
    _token("ai-key", "hf_", r"hf_[A-Za-z0-9]{20,}", _alnum_run("ai-key")),
    _token("google-api-key", "za", r"AIza[0-9A-Za-z_\-]{35}"),
    _token("google-oauth", "ya29.", r"ya29\.[0-9A-Za-z_\-]{20,}"),
    _token("google-oauth", "gocspx-", r"GOCSPX-[0-9A-Za-z_\-]{20,}"),
    _token("stripe-key", "sk_", r"sk_(?:live|test)_[A-Za-z0-9]{10,}", _alnum_run("stripe-key")),
    _token("stripe-key", "rk_", r"rk_(?:live|test)_[A-Za-z0-9]{10,}", _alnum_run("stripe-key")),
    _token("stripe-key", "pk_", r"pk_(?:live|test)_[A-Za-z0-9]{10,}", _alnum_run("stripe-key")),
    _token("stripe-key", "whsec_", r"whsec_[A-Za-z0-9]{20,}", _alnum_run("stripe-key")),
    _token(
        "github-token",
        "ghp_ gho_ ghu_ ghs_ ghr_ github_pat_",
        r"g(?:h[pousr]_[A-Za-z0-9]{30,}|ithub_pat_[A-Za-z0-9_]{30,})",
    ),
    _token(
        "gitlab-token",
        "glpat- gldt- glrt- glptt- glcbt- glsoat- glft- glimt- glagent-",
        r"gl(?:pat|dt|rt|ptt|cbt|soat|ft|imt|agent)-[A-Za-z0-9_\-]{20,}",
    ),
    _token("api-token", "pm_", r"npm_[A-Za-z0-9]{36}"),  # npm
    _token("api-token", "pypi-", r"pypi-AgE[A-Za-z0-9_\-]{50,}"),  # PyPI
    _token("api-token", "sg.", r"SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}"),  # SendGrid
    _token("api-token", "pat_ pca_ ppa_ pss_", r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"),  # Shopify
    _token("api-token", "v1_", r"do[opr]_v1_[a-f0-9]{64}"),  # DigitalOcean
    _token("api-token", "hvs. hvb.", r"hv[sb]\.[A-Za-z0-9_\-]{24,}"),  # HashiCorp Vault
    _token(  # Doppler
        "api-token",
        "p.st. p.pt. p.ct. p.sa. p.scim. p.audit.",
        r"dp\.(?:st|pt|ct|sa|scim|audit)\.[A-Za-z0-9_\-]{40,}",
    ),
    _token("api-token", "lin_api_", r"lin_api_[A-Za-z0-9]{40}"),  # Linear
    _token("api-token", "key-", r"key-[a-f0-9]{32}"),  # Mailgun
    _token("api-token", "q0", r"sq0(?:atp|csp)-[A-Za-z0-9_\-]{22,}"),  # Square
    _rule("api-token", ":aa", r":(?P<secret>AA(?<=\d:AA)[A-Za-z0-9_\-]{33})", _after_token),  # Telegram bot
    _token("aws-access-key", "kia sia bia cca 3t", r"A(?:KIA|SIA|BIA|CCA|3T[A-Z0-9])[A-Z0-9]{16}"),
    _token("slack-token", "xox", r"xox[a-z](?:\.xox[a-z])?-[A-Za-z0-9\-]{10,}"),
    _token("slack-token", "xapp-", r"xapp-\d-[A-Za-z0-9\-]{10,}"),
    _rule(
        "slack-webhook",
        "ks.slack",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>[A-Za-z0-9_/\-]{8,})",
        _always("slack-webhook"),
    ),
    _rule(
        "discord-webhook",
        "discord",
        r"discord(?:app)?\.com/api/webhooks/(?P<secret>\d+/[A-Za-z0-9_\-]{20,})",
        _always("discord-webhook"),
    ),
    _rule(
        "url-password",
        "://",
        r"://[^\s:/?#@\"'<>\[\]]{0,256}:(?P<secret>[^\s/?#\"'<>]{1,256})@",
        _url_password,
    ),
    _rule(
        "auth-header",
        "zation",
        r"authorization\\?[\"']?[ \t]*[:=][ \t]*\\?[\"']?"
        r"(?:(?P<scheme>bearer|basic|token|bot|digest|apikey|api-key|key|sso-key|negotiate|ntlm|jwt)[ \t]+)?"
        r"(?P<secret>[a-z0-9._~+/=\-]{6,})",
        _after_word_start("auth-header", _auth_value),
        lowered=True,
    ),
    _rule(
        "auth-header",
        "bear",
        r"bearer[ \t]+(?P<secret>[a-z0-9._~+/\-]{8,}=*)",
        _after_word_start("auth-header", _bearer_value),
        lowered=True,
    ),
    _rule(
        "auth-header",
        "basic",
        r"basic[ \t]+(?P<secret>[a-z0-9+/]{8,}={0,2})(?![a-z0-9+/=])",
        _after_word_start("auth-header", _basic_value),
        lowered=True,
    ),
    _rule(
        "url-password",
        "curl",
        r"curl\b[^\n|;&]{0,300}?[ \t](?:-u|--user)[ \t=]*[\"']?[^\s:\"']+:(?P<secret>[^\s\"']+)",
        _command_password,
    ),
    _rule(
        "url-password",
        "ysql",
        r"mysql(?:dump|admin)?\b[^\n|;&]{0,300}?[ \t]-p[\"']?(?P<secret>[^\s\"']+)",
        _command_password,
    ),
    _rule(
        "url-password",
        "sshp",
        r"sshpass\b[^\n|;&]{0,300}?[ \t]-p[ \t]*[\"']?(?P<secret>[^\s\"']+)",
        _command_password,
    ),
    _rule(
        "url-password",
        "pass",
        r"machine\s+\S+\s+(?:login\s+\S+\s+)?password\s+(?P<secret>\S+)",
        _command_password,
    ),
    _rule("secret", " ".join(p.lower() for p in _CUT_OFF_KINDS), _CUT_OFF_PATTERN, _cut_off_token, tail=300),
    _rule(
        "secret",
        _KEYWORDS,
        r"(?<![^\s\"';&|(`])(?P<name>[A-Z][A-Z0-9_]{0,80})=(?P<secret>[^\s\"'`]{1,2000})",
        _env_line,
        at_names=True,
    ),
    _rule(
        "secret",
        _KEYWORDS,
        r"(?<=[?&])(?P<name>[A-Za-z0-9_.\-]{1,130})=(?P<secret>[^&#\s\"'<>]{1,2000})",
        _query_parameter,
        at_names=True,
    ),
    _rule(
        "secret",
        _KEYWORDS,
        r"(?P<name>[A-Za-z0-9_.\-]{1,130})(?P<nq>\\?[\"']?)(?P<sep>[ \t]*(?::=|=>|=(?!=)|:)[ \t]*)" + _VALUE,
        _assignment,
        at_names=True,
    ),
    _rule(
        "secret",
        _KEYWORDS,
        r"--?(?P<name>[A-Za-z0-9_.\-]{1,130})[ \t]+"
        r"(?:\"(?P<secret>[^\"\n]{1,2000})\"|'(?P<v_sq>[^'\n]{1,2000})'|(?P<v_raw>[^\s\"'`;|()<>]{1,2000}))",
        _flag,
        at_names=True,
    ),
)


def _trie_pattern(words: Iterable[str]) -> str:
    """One regular expression for a set of literals, factored by common prefixes.

    Python's engine tries each alternative at each position; factored, a position is rejected
    by one test of its first character, which makes the pre-filter several times faster.
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


_ANCHORS = {a for r in RULES for a in r.anchors}
#: The anchors the pre-filter looks for: those that contain no other anchor.
_GATE_ANCHORS = sorted(a for a in _ANCHORS if not any(b in a for b in _ANCHORS - {a}))
#: Matches a lowercased string that contains any rule's anchor. Anchors are chosen to begin with
#: rarer characters (`ken` for token, `cret` for secret, `zation` for authorization), so few
#: positions get past their first character.
_PREFILTER = re.compile(_trie_pattern(_GATE_ANCHORS))


def _rules_by_gate_anchor() -> dict[str, tuple[int, ...]]:
    """For each pre-filter anchor, the rules that may match where it occurs.

    The pre-filter's matches do not overlap, so an anchor that starts inside another's match
    (`yj` in `keyj`) is not reported: each anchor therefore also selects the rules of every
    anchor that can begin inside it (a suffix of one is a prefix of the other).
    """

    def rules_of(gate: str) -> set[int]:
        return {i for i, r in enumerate(RULES) if any(gate in a for a in r.anchors)}

    table: dict[str, tuple[int, ...]] = {}
    for gate in _GATE_ANCHORS:
        selected = rules_of(gate)
        for other in _GATE_ANCHORS:
            if any(other.startswith(gate[cut:]) for cut in range(1, len(gate))):
                selected |= rules_of(other)
        table[gate] = tuple(sorted(selected))
    return table


_RULES_BY_GATE_ANCHOR = _rules_by_gate_anchor()
_KEYWORD = re.compile(_trie_pattern(_KEYWORDS.split()))


@dataclass(frozen=True)
class Hit:
    """One secret found in a string: where it is and its kind."""

    start: int
    end: int
    kind: str


def find_secrets(text: str) -> list[Hit]:
    """The secrets in `text`, in order, overlapping matches merged (kind of the earliest rule)."""
    return _scan(text) or []


def _lowercase(text: str) -> str:
    """`text` lowercased, keeping its length (a few characters lowercase to two)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def _scan(text: str) -> list[Hit] | None:
    """Like `find_secrets`, but None when no anchor occurs (the string is clean, cheaply)."""
    markers = [m.span() for m in _MARKER.finditer(text)] if MARKER_PREFIX in text else []
    if markers:  # markers are opaque: their letters select no rule, their `:` splits nothing
        text = "".join(_blanked(text, markers))
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = _lowercase(text)
    anchors = _PREFILTER.findall(lowered)
    if not anchors:
        return None
    selected: set[int] = set()
    for anchor in anchors:
        selected.update(_RULES_BY_GATE_ANCHOR[anchor])
    found: list[tuple[int, int, int, str]] = []  # start, end, rule index, kind
    name_starts: list[int] | None = None
    for index in sorted(selected):
        rule = RULES[index]
        if rule.at_names:
            if name_starts is None:
                name_starts = _secret_name_starts(text, lowered)
            found.extend(_matches_at_names(index, text, name_starts))
            continue
        start = max(0, len(text) - rule.tail) if rule.tail else 0
        for m in _searches(rule.pattern, lowered if rule.lowered else text, start):
            found_match = Found(m, text)
            kind = rule.check(found_match)
            start, end = found_match.secret_span
            if kind is not None and end > start:
                found.append((start, end, index, kind))
    if markers:
        found = _outside_markers(markers, found)
    return _merge(found)


_MARKER = re.compile(r"\[redacted:[a-z0-9-]{1,40}\]")


def _blanked(text: str, spans: list[tuple[int, int]]) -> Iterable[str]:
    """`text` in pieces, with each span replaced by as many NUL characters."""
    pos = 0
    for start, end in spans:
        yield text[pos:start]
        yield "\0" * (end - start)
        pos = end
    yield text[pos:]


def _outside_markers(
    markers: list[tuple[int, int]], found: list[tuple[int, int, int, str]]
) -> list[tuple[int, int, int, str]]:
    """The found spans without the parts that are markers already: a marker is never redacted
    again (which keeps redacting idempotent), and text next to one still is."""
    kept: list[tuple[int, int, int, str]] = []
    for start, end, index, kind in found:
        pieces = [(start, end)]
        for m_start, m_end in markers:
            pieces = [
                part
                for p_start, p_end in pieces
                for part in ((p_start, min(p_end, m_start)), (max(p_start, m_end), p_end))
                if part[1] > part[0]
            ]
        kept.extend((p_start, p_end, index, kind) for p_start, p_end in pieces)
    return kept


def _selected_rules(lowered: str) -> list[int]:
    """The rules (indexes, in table order) one of whose anchors occurs in `lowered`."""
    return sorted({i for anchor in _PREFILTER.findall(lowered) for i in _RULES_BY_GATE_ANCHOR[anchor]})


def _searches(pattern: re.Pattern[str], text: str, pos: int = 0) -> Iterable[re.Match[str]]:
    """Every match of `pattern` from `pos`, each retried one character after its start (not
    after its end), so a secret inside a rejected match (`"tokens": "API_KEY=…"`) is found."""
    while (m := pattern.search(text, pos)) is not None:
        yield m
        pos = m.start() + 1


def _secret_name_starts(text: str, lowered: str) -> list[int]:
    """Start of each name (`[A-Za-z0-9_.-]+`, from at most 64 characters before its keyword)
    that holds a secret (`_classify_name`): where assignments and flags may begin."""
    starts: list[int] = []
    for m in _KEYWORD.finditer(lowered):
        floor = max(0, m.start() - 64)
        start = floor + len(text[floor : m.start()].rstrip(_NAME_CHAR_STRING))
        if starts and starts[-1] == start:
            continue
        name = _NAME_RUN.match(text, start)
        if name and _classify_name(name.group()) is not None:
            starts.append(start)
    return starts


_NAME_RUN = re.compile(r"[A-Za-z0-9_.\-]{1,130}")


def _matches_at_names(index: int, text: str, starts: list[int]) -> list[tuple[int, int, int, str]]:
    """Rule `index` matched at each name start, except inside a value it already redacted (so
    `api_key=api_key=…` is read once, not once per name)."""
    rule, found, covered = RULES[index], [], -1
    for start in starts:
        if start < covered:
            continue
        m = rule.pattern.match(text, start)
        if m is None:
            continue
        found_match = Found(m, text)
        kind = rule.check(found_match)
        secret_start, secret_end = found_match.secret_span
        if kind is not None and secret_end > secret_start:
            found.append((secret_start, secret_end, index, kind))
            covered = secret_end
    return found


def _merge(found: list[tuple[int, int, int, str]]) -> list[Hit]:
    found.sort()
    merged: list[list[Any]] = []  # [start, end, best rule index, kind]
    for start, end, index, kind in found:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            last[1] = max(last[1], end)
            if index < last[2]:
                last[2], last[3] = index, kind
        else:
            merged.append([start, end, index, kind])
    return [Hit(start, end, kind) for start, end, _, kind in merged]


# --------------------------------------------------------------------------------------------
# The redactor
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """What a redactor removed: distinct secrets per kind (the same secret shown twice is one)."""

    by_kind: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def summary(self) -> str:
        """'7 secrets redacted: 2 github-token, 1 aws-access-key, …' ('' when none)."""
        if not self.total:
            return ""
        noun = "secret" if self.total == 1 else "secrets"
        parts = ", ".join(f"{n} {kind}" for kind, n in self.by_kind.items())
        return f"{self.total} {noun} redacted: {parts}"


def _value_kind(key: Any, item: Any) -> str | None:
    """The kind of secret `item` is, being the value of `key` in a dictionary, else None."""
    if not isinstance(key, str) or not isinstance(item, str):
        return None
    named = _classify_name(key)
    if named is None or not _value_is_secret(item, named[0], "quoted", named[1]):
        return None
    return named[0]


def marker(kind: str) -> str:
    """The text that replaces a secret of `kind`."""
    return f"{MARKER_PREFIX}{kind}]"


class Redactor:
    """Replaces secrets in trace strings by `[redacted:KIND]` and keeps a receipt.

    One redactor serves one report: every output (HTML, JSON, Markdown, stderr) takes its
    strings through the same instance, so the receipt covers them all. `enabled=False`
    (`--no-redact`) returns everything unchanged and keeps an empty receipt.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._seen: dict[str, set[bytes]] = {}
        self._cache: dict[str, str] = {}
        #: Strings known to hold no secret: event data repeats its keys and many values
        #: ("tool", "model", a model's name) in every event, and a lookup beats a scan.
        self._clean: set[str] = set()

    def text(self, s: str) -> str:
        """`s` with every secret replaced by its marker."""
        if not self.enabled or not isinstance(s, str):
            return s
        if s in self._clean:
            return s
        cached = self._cache.get(s)
        if cached is not None:
            return cached
        hits = _scan(s)
        if hits is None:
            if len(s) <= CLEAN_MAX_CHARS:
                if len(self._clean) >= CLEAN_ENTRIES:
                    self._clean.clear()
                self._clean.add(s)
            return s
        out = s
        for _ in range(_MAX_PASSES):
            if not hits:
                break
            out = self._replace(out, hits)
            # Again over the result, until nothing changes: a marker can complete a pattern
            # around it, and the output must be one that redacting leaves as it is.
            hits = _scan(out) or []
        if len(s) <= CACHE_MAX_CHARS:
            if len(self._cache) >= CACHE_ENTRIES:
                del self._cache[next(iter(self._cache))]
            self._cache[s] = out
        return out

    def value(self, v: Any) -> Any:
        """Any JSON value with every string redacted: strings, dictionary keys and values, list
        items (tuples become lists). A string under a name that holds a secret (`"password"`,
        `"api_key"`, `"Authorization"`) is replaced whole. Numbers, booleans and None are kept."""
        if not self.enabled:
            return v
        if not isinstance(v, (dict, list, tuple)):
            return self.text(v) if isinstance(v, str) else v
        root: dict[Any, Any] | list[Any] = {} if isinstance(v, dict) else []
        stack: list[tuple[Any, Any]] = [(v, root)]  # iterative: nesting depth is untrusted
        while stack:
            source, target = stack.pop()
            if isinstance(source, dict):
                for key, item in source.items():
                    name_kind = _value_kind(key, item)
                    target[self._key(key, target)] = self._child(item, name_kind, stack)
            else:
                target.extend(self._child(item, None, stack) for item in source)
        return root

    @property
    def receipt(self) -> Receipt:
        counts = {kind: len(values) for kind, values in self._seen.items()}
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return Receipt(dict(ordered))

    # -- internals ---------------------------------------------------------------------------

    def _replace(self, s: str, hits: list[Hit]) -> str:
        parts: list[str] = []
        pos = 0
        for hit in hits:
            parts.append(s[pos : hit.start])
            parts.append(marker(hit.kind))
            self._record(hit.kind, s[hit.start : hit.end])
            pos = hit.end
        parts.append(s[pos:])
        return "".join(parts)

    def _record(self, kind: str, secret: str) -> None:
        digest = hashlib.blake2b(secret.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        self._seen.setdefault(kind, set()).add(digest)

    def _key(self, key: Any, target: dict[Any, Any]) -> Any:
        """A redacted dictionary key that does not overwrite another key."""
        if not isinstance(key, str):
            return key
        redacted = self.text(key)
        candidate, n = redacted, 2
        while candidate in target:  # two secrets became the same marker
            candidate, n = f"{redacted} #{n}", n + 1
        return candidate

    def _child(self, item: Any, name_kind: str | None, stack: list[tuple[Any, Any]]) -> Any:
        if isinstance(item, dict):
            new_dict: dict[Any, Any] = {}
            stack.append((item, new_dict))
            return new_dict
        if isinstance(item, (list, tuple)):
            new_list: list[Any] = []
            stack.append((item, new_list))
            return new_list
        if not isinstance(item, str):
            return item
        if name_kind is not None:
            return self._named_secret(item, name_kind)
        return self.text(item)

    def _named_secret(self, value: str, kind: str) -> str:
        """The marker for a whole value held by a secret's name (`{"password": "…"}`), counted as
        the same secret the text rules would find: without its `Bearer ` scheme, and of the
        pattern's kind when one matches it whole (`{"api_key": "sk-ant-…"}` is an
        anthropic-key)."""
        scheme = _AUTH_SCHEME.match(value) if kind == "auth-header" else None
        prefix = scheme.group() if scheme else ""
        secret = value[len(prefix) :]
        hits = _scan(secret) or []
        if len(hits) == 1 and (hits[0].start, hits[0].end) == (0, len(secret)):
            kind = hits[0].kind
        self._record(kind, secret)
        return prefix + marker(kind)


def redact_tree(value: Any, redactor: Redactor) -> Any:
    """A copy of one of attoreport's own result objects (dataclasses, lists, tuples, dicts)
    with every string in it passed through `redactor.text`; dict keys too. For results read
    from other formats (attoswarm run folders), redacted once before any view sees them."""
    if not redactor.enabled:
        return value
    return _tree(value, redactor, 0)


def _tree(value: Any, redactor: Redactor, depth: int) -> Any:
    if isinstance(value, str):
        return redactor.text(value)
    if depth > 64 or value is None or isinstance(value, (bool, int, float, bytes)):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _tree(getattr(value, f.name), redactor, depth + 1)
                   for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    if isinstance(value, list):
        return [_tree(v, redactor, depth + 1) for v in value]
    if isinstance(value, tuple):
        return tuple(_tree(v, redactor, depth + 1) for v in value)
    if isinstance(value, dict):
        return {_tree(k, redactor, depth + 1): _tree(v, redactor, depth + 1)
                for k, v in value.items()}
    return value


def redaction_note(redactor: Redactor | None) -> str:
    """What the outputs say about redaction, in one sentence."""
    if redactor is None:
        return ""
    if not redactor.enabled:
        return ("Secrets were NOT redacted (--no-redact): this output may contain credentials "
                "from the trace; do not share it.")
    summary = redactor.receipt.summary()
    if not summary:
        return "No secrets found to redact."
    return (f"{summary} (each replaced by a marker such as "
            f"{marker(next(iter(redactor.receipt.by_kind)))}).")


def redaction_document(redactor: Redactor | None) -> dict[str, Any]:
    """The JSON output's `redaction` object."""
    if redactor is None:
        return {"enabled": False, "total": 0, "by_kind": {}}
    receipt = redactor.receipt
    return {"enabled": redactor.enabled, "total": receipt.total, "by_kind": dict(receipt.by_kind)}
