"""Shape expressions in a torch.export file, checked before torch reads them.

torch's deserialiser hands every symbolic size ("s77", "2*s77", "Symbol('s77',
positive=True, integer=True)") to sympy.sympify, which evaluates the text as Python. A
crafted file could put any Python there; so each expression must be made of numbers,
arithmetic, the symbols torch.export writes (s0, u1, zf2, zuf3), the functions of
torch.utils._sympy.functions and a few of sympy's: no attribute access, no strings other
than a Symbol's own name, no subscripts, calls only to those functions, powers only by a
small whole number.
"""
from __future__ import annotations

import re

from ..errors import ModelFileError

SYMBOL = re.compile(r"(?:s|u|zf|zuf)\d{1,9}\Z")
SYMBOL_CALL = re.compile(r"Symbol\('((?:s|u|zf|zuf)\d{1,9})'(?:,\s*(?:positive|integer|nonnegative|real|finite)="
                         r"(?:True|False))*\)")
FUNCTIONS = frozenset("""
    FloorDiv ModularIndexing Where PythonMod Mod CleanDiv CeilToInt FloorToInt CeilDiv LShift RShift
    PowByNatural FloatPow FloatTrueDiv IntTrueDiv IsNonOverlappingAndDenseIndicator TruncToFloat TruncToInt
    RoundToInt RoundDecimal ToFloat Identity Max Min Eq Ne Lt Le Gt Ge And Or Not Abs Piecewise
""".split())
CONSTANTS = frozenset({"True", "False", "oo", "true", "false"})
TOKEN = re.compile(r"\s*(?:(?P<num>\d{1,20}(?:\.\d{1,20})?(?:e[+-]?\d{1,3})?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                   r"|(?P<op>\*\*|//|==|!=|<=|>=|[-+*/%(),<>&|~]))")
MAX_CHARS = 2000


def check_expression(text, where: str) -> None:
    """A ModelFileError unless `text` is a plain shape expression (see the module's doc)."""
    if not isinstance(text, str) or len(text) > MAX_CHARS:
        raise _refused(where, "is not a short shape expression")
    plain = SYMBOL_CALL.sub(lambda m: m[1], text)
    tokens, at = [], 0
    while at < len(plain):
        m = TOKEN.match(plain, at)
        if m is None or m.end() == at:
            if plain[at:].strip() == "":
                break
            raise _refused(where, f"holds {plain[at:at + 20]!r}, which is not part of a shape expression")
        tokens.append((m.lastgroup, m[m.lastgroup]))
        at = m.end()
    for i, (kind, value) in enumerate(tokens):
        after = tokens[i + 1] if i + 1 < len(tokens) else (None, None)
        if kind == "name":
            calls = after == ("op", "(")
            if not ((calls and value in FUNCTIONS) or (not calls and (SYMBOL.match(value) or value in CONSTANTS))):
                raise _refused(where, f"names {value!r}, which is not a size symbol or a shape function")
        elif kind == "op" and value == "**":
            then = tokens[i + 2] if i + 2 < len(tokens) else (None, None)
            if not (after[0] == "num" and len(after[1]) <= 2 and then != ("op", "**")):   # no 9**9**9
                raise _refused(where, "raises to a power other than a small whole number")


def check_symbol(name, where: str) -> None:
    if not isinstance(name, str) or not SYMBOL.match(name):
        raise _refused(where, f"names the size symbol {str(name)[:40]!r}, which torch.export does not write")


def _refused(where: str, why: str) -> ModelFileError:
    return ModelFileError(f"Glimpse does not load this model file: a shape expression in {where} {why}.")
