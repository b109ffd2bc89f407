"""GOST R 34.10-2012 signature verification on the standard's curves.

Curves in short Weierstrass form with gostcrypto's parameters (R 1323565.1.024-2019; the
twisted Edwards sets tc26 256 A and 512 C converted as gostcrypto does), point arithmetic in
Jacobian coordinates and :func:`gost_verify` with Shamir's trick.  gostcrypto's own affine
verification costs ~300 ms for a 512-bit key; this one a few milliseconds.
"""
from __future__ import annotations

from gostcrypto.gostsignature import CURVES_R_1323565_1_024_2019


class Curve:
    """Curve parameters in short Weierstrass form."""

    __slots__ = ("name", "size", "p", "a", "b", "q", "gx", "gy")

    def __init__(self, name: str, params: dict) -> None:
        p = params["p"]
        a, b, x, y = params.get("a", 0), params.get("b", 0), params.get("x", 0), params.get("y", 0)
        if not (a or b or x or y):
            # Twisted Edwards curve (tc26 256 A, 512 C): convert as gostcrypto does.
            e, d, u, v = params["e"], params["d"], params["u"], params["v"]
            s = (e - d) * pow(4, -1, p) % p
            t = (e + d) * pow(6, -1, p) % p
            a = (s * s - 3 * t * t) % p
            b = (2 * t ** 3 - t * s * s) % p
            x = (s * (1 + v) * pow(1 - v, -1, p) + t) % p
            y = s * (1 + v) * pow((1 - v) * u, -1, p) % p
        self.name = name
        self.size = 64 if "512" in name else 32
        self.p, self.a, self.b, self.q, self.gx, self.gy = p, a, b, params["q"], x, y
        if not self.on_curve(x, y):
            raise ValueError("bad curve parameters: %s" % name)

    def on_curve(self, x: int, y: int) -> bool:
        """True if the affine point (x, y) lies on the curve."""
        p = self.p
        return 0 <= x < p and 0 <= y < p and (y * y - (x * x * x + self.a * x + self.b)) % p == 0


_curves: dict = {}  # name -> Curve, built once: the conversion is not free


def named_curve(name: str) -> Curve:
    """The curve of gostcrypto's table by its R 1323565.1.024-2019 name."""
    curve = _curves.get(name)
    if curve is None:
        curve = _curves[name] = Curve(name, CURVES_R_1323565_1_024_2019[name])
    return curve


def _jac_double(pt, a: int, p: int):
    """2·pt in Jacobian coordinates; (0, 1, 0) is the point at infinity."""
    x1, y1, z1 = pt
    if not z1 or not y1:
        return (0, 1, 0)
    yy = y1 * y1 % p
    s = 4 * x1 * yy % p
    zz = z1 * z1 % p
    m = (3 * x1 * x1 + a * zz * zz) % p
    x3 = (m * m - 2 * s) % p
    y3 = (m * (s - x3) - 8 * yy * yy) % p
    z3 = 2 * y1 * z1 % p
    return (x3, y3, z3)


def _jac_add(p1, p2, a: int, p: int):
    """p1 + p2 in Jacobian coordinates; (0, 1, 0) is the point at infinity."""
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    if not z1:
        return p2
    if not z2:
        return p1
    z1z1 = z1 * z1 % p
    z2z2 = z2 * z2 % p
    u1 = x1 * z2z2 % p
    u2 = x2 * z1z1 % p
    s1 = y1 * z2 * z2z2 % p
    s2 = y2 * z1 * z1z1 % p
    if u1 == u2:
        if s1 != s2:
            return (0, 1, 0)
        return _jac_double(p1, a, p)
    h = (u2 - u1) % p
    r = (s2 - s1) % p
    hh = h * h % p
    hhh = h * hh % p
    v = u1 * hh % p
    x3 = (r * r - hhh - 2 * v) % p
    y3 = (r * (v - x3) - s1 * hhh) % p
    z3 = z1 * z2 * h % p
    return (x3, y3, z3)


def gost_verify(curve: Curve, public_xy: tuple, digest: bytes, signature: bytes) -> bool:
    """Verify a GOST R 34.10-2012 signature.

    ``digest`` is the Streebog output as stored in CMS (interpreted as a
    little-endian number, i.e. reversed before use as the standard's
    vector h); ``signature`` is the CMS/X.509 encoding s||r (big-endian).
    """
    size = curve.size
    if len(signature) != 2 * size:
        return False
    q, p, a = curve.q, curve.p, curve.a
    s = int.from_bytes(signature[:size], "big")
    r = int.from_bytes(signature[size:], "big")
    if not (0 < r < q and 0 < s < q):
        return False
    qx, qy = public_xy
    if not curve.on_curve(qx, qy):
        return False
    e = int.from_bytes(digest, "little") % q or 1
    v = pow(e, -1, q)
    z1 = s * v % q
    z2 = -r * v % q
    # Shamir's trick: z1*G + z2*Q in one pass.
    g_pt, q_pt = (curve.gx, curve.gy, 1), (qx, qy, 1)
    gq_pt = _jac_add(g_pt, q_pt, a, p)
    acc = (0, 1, 0)
    for i in range(max(z1.bit_length(), z2.bit_length()) - 1, -1, -1):
        acc = _jac_double(acc, a, p)
        bit1, bit2 = (z1 >> i) & 1, (z2 >> i) & 1
        if bit1 and bit2:
            acc = _jac_add(acc, gq_pt, a, p)
        elif bit1:
            acc = _jac_add(acc, g_pt, a, p)
        elif bit2:
            acc = _jac_add(acc, q_pt, a, p)
    x, _, z = acc
    if not z:
        return False
    x_affine = x * pow(z * z % p, -1, p) % p
    return x_affine % q == r

