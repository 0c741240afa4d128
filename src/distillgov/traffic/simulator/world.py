"""The world the traffic comes from: clients, time zones, daily rhythms and the IPv4 address space.

These are shared by all populations on purpose. A campaign's user agents are strings that
benign customers also send, its proxy exits sit in the same residential /24s as real people's
home connections, and enterprises' corporate gateways look like any other NAT; a detector has
to link accounts by *co-occurrence*, not by spotting an exotic value.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import numpy.typing as npt

_BLINK = "AppleWebKit/537.36 (KHTML, like Gecko)"
_WEBKIT = "AppleWebKit/605.1.15 (KHTML, like Gecko)"
_MOBILE_SAFARI = "Version/18.1 Mobile/15E148 Safari/604.1"
USER_AGENTS: dict[str, tuple[str, ...]] = {
    # Ordered by popularity within each family; draws are Zipf-weighted over this order.
    "browser": (
        f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {_BLINK} Chrome/130.0.0.0 Safari/537.36",
        f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) {_BLINK} Chrome/130.0.0.0 Safari/537.36",
        f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) {_WEBKIT} Version/18.1 Safari/605.1.15",
        f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {_BLINK} Chrome/129.0.0.0 Safari/537.36 Edg/129.0.0.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
        f"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) {_WEBKIT} {_MOBILE_SAFARI}",
        f"Mozilla/5.0 (X11; Linux x86_64) {_BLINK} Chrome/130.0.0.0 Safari/537.36",
        f"Mozilla/5.0 (Linux; Android 14; Pixel 8) {_BLINK} Chrome/130.0.6723.86 Mobile Safari/537.36",
        f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {_BLINK} Chrome/128.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.6; rv:131.0) Gecko/20100101 Firefox/131.0",
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
        f"Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) {_WEBKIT} Version/17.6 Mobile/15E148 Safari/604.1",
    ),
    "sdk": (
        "OpenAI/Python 1.54.4",
        "Anthropic/Python 0.39.0",
        "python-httpx/0.27.2",
        "OpenAI/JS 4.71.1",
        "Anthropic/JS 0.32.1",
        "OpenAI/Python 1.52.0",
        "langchain-core/0.3.15 (Python 3.11)",
        "python-requests/2.32.3",
        "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
        "Go-http-client/2.0",
        "axios/1.7.7",
        "okhttp/4.12.0",
        "Anthropic/Python 0.37.1",
        "curl/8.7.1",
        "litellm/1.52.6",
        "aiohttp/3.10.10 Python/3.12",
    ),
    "harness": (
        "inspect-ai/0.3.46 OpenAI/Python 1.54.4",
        "lm-eval/0.4.5 python-httpx/0.27.2",
        "promptfoo/0.97.0 node-fetch",
        "OpenAI/Python 1.54.4",
        "Anthropic/Python 0.39.0",
        "helm/0.5.4 python-requests/2.32.3",
    ),
}


class Rhythm(StrEnum):
    """A daily activity profile in local time."""

    PERSONAL = "personal"  # people on their own time: working day plus an evening shoulder
    BUSINESS = "business"  # office hours, lunch dip, near-silent weekends
    FLAT = "flat"  # machines: no daily shape


# Relative request intensity per local hour (0-23), weekday and weekend. PERSONAL follows
# published chat-assistant usage (daytime plateau, evening shoulder, night trough, weekends
# ~65% of weekdays); BUSINESS is office hours with weekends near 8% of weekdays.
_PROFILES: dict[Rhythm, tuple[tuple[float, ...], tuple[float, ...]]] = {
    Rhythm.PERSONAL: (
        (
            0.9,
            0.5,
            0.3,
            0.2,
            0.2,
            0.3,
            0.6,
            1.2,
            2.0,
            3.0,
            3.6,
            3.8,
            3.5,
            3.6,
            3.8,
            3.7,
            3.4,
            3.0,
            2.6,
            2.6,
            2.7,
            2.6,
            2.1,
            1.4,
        ),
        (
            0.9,
            0.6,
            0.4,
            0.2,
            0.2,
            0.2,
            0.3,
            0.6,
            1.0,
            1.6,
            2.1,
            2.4,
            2.5,
            2.5,
            2.4,
            2.3,
            2.2,
            2.1,
            2.0,
            2.1,
            2.2,
            2.1,
            1.8,
            1.3,
        ),
    ),
    Rhythm.BUSINESS: (
        (
            0.1,
            0.1,
            0.1,
            0.1,
            0.1,
            0.1,
            0.3,
            1.0,
            2.8,
            4.0,
            4.2,
            4.0,
            2.6,
            3.6,
            4.0,
            3.9,
            3.5,
            2.5,
            1.2,
            0.6,
            0.4,
            0.3,
            0.2,
            0.1,
        ),
        (
            0.05,
            0.05,
            0.05,
            0.05,
            0.05,
            0.05,
            0.05,
            0.1,
            0.2,
            0.3,
            0.35,
            0.35,
            0.3,
            0.3,
            0.3,
            0.3,
            0.25,
            0.2,
            0.15,
            0.1,
            0.1,
            0.1,
            0.05,
            0.05,
        ),
    ),
    Rhythm.FLAT: ((1.0,) * 24, (1.0,) * 24),
}


def hourly_profile(rhythm: Rhythm) -> npt.NDArray[np.float64]:
    """(2, 24) intensities: row 0 weekdays, row 1 weekends."""
    return np.array(_PROFILES[rhythm], dtype=np.float64)


# UTC offsets (minutes) of API users, weighted by rough share of developer traffic.
TIMEZONES: tuple[tuple[int, float], ...] = (
    (-480, 0.12),
    (-420, 0.04),
    (-360, 0.06),
    (-300, 0.15),
    (-180, 0.04),
    (0, 0.08),
    (60, 0.14),
    (120, 0.05),
    (180, 0.03),
    (330, 0.09),
    (480, 0.08),
    (540, 0.05),
    (600, 0.03),
    (420, 0.04),
)


def draw_timezones(rng: np.random.Generator, size: int) -> npt.NDArray[np.int32]:
    offsets = np.array([o for o, _ in TIMEZONES], dtype=np.int32)
    weights = np.array([w for _, w in TIMEZONES])
    return rng.choice(offsets, size=size, p=weights / weights.sum())


def zipf_choice(rng: np.random.Generator, n: int, size: int, exponent: float = 1.1) -> npt.NDArray[np.int64]:
    """Indices into a popularity-ordered list: a few values are common, most are rare."""
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return rng.choice(n, size=size, p=weights / weights.sum())


# First octets that plausibly host each kind of address (public space only; no RFC 1918, CGNAT
# 100.64/10, loopback, link-local or multicast).
_RESIDENTIAL_OCTETS = (
    24,
    47,
    49,
    68,
    71,
    73,
    76,
    77,
    79,
    81,
    82,
    84,
    86,
    88,
    90,
    92,
    94,
    98,
    101,
    106,
    110,
    112,
    115,
    117,
    118,
    121,
    124,
    175,
    177,
    179,
    181,
    186,
    187,
    189,
    190,
    191,
    200,
    201,
)
_CORPORATE_OCTETS = (
    12,
    62,
    63,
    64,
    65,
    66,
    80,
    83,
    85,
    87,
    89,
    91,
    93,
    145,
    193,
    194,
    195,
    196,
    212,
    213,
    217,
)
_CLOUD_OCTETS = (3, 13, 15, 18, 20, 34, 35, 40, 44, 52, 54, 104, 137, 138, 146, 157, 159, 164, 167, 168)


_SHARED_EXITS = 2_000


class AddressSpace:
    """Per-run universes of /24 networks by kind, from which all populations draw.

    Residential /24s are few enough that unrelated people share them (carrier-grade NAT, big
    ISPs), and proxy pools draw exits from the same universe, so an IP or /24 shared across
    accounts is evidence only in combination with other links.
    """

    def __init__(
        self,
        rng: np.random.Generator,
        residential: int = 40_000,
        corporate: int = 20_000,
        cloud: int = 20_000,
    ) -> None:
        self.residential = self._subnets(rng, _RESIDENTIAL_OCTETS, residential)
        self.corporate = self._subnets(rng, _CORPORATE_OCTETS, corporate)
        self.cloud = self._subnets(rng, _CLOUD_OCTETS, cloud)
        # Exact addresses used by many unrelated clients at once (popularity-ordered).
        self.carrier_exits = self.hosts(rng, self.pick(rng, self.residential, _SHARED_EXITS, popular=True))
        self.cloud_exits = self.hosts(rng, self.pick(rng, self.cloud, _SHARED_EXITS, popular=True))

    @staticmethod
    def _subnets(rng: np.random.Generator, octets: tuple[int, ...], count: int) -> npt.NDArray[np.uint32]:
        first = rng.choice(np.array(octets, dtype=np.uint32), size=count)
        middle = rng.integers(0, 1 << 16, size=count, dtype=np.uint32)
        # Shuffled after deduplication: position in the array is the network's popularity rank.
        return rng.permutation(np.unique((first << np.uint32(24)) | (middle << np.uint32(8))))

    @staticmethod
    def hosts(rng: np.random.Generator, subnets: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint32]:
        """One host address (.1-.254) inside each given /24."""
        return subnets | rng.integers(1, 255, size=len(subnets), dtype=np.uint32)

    def shared(
        self,
        rng: np.random.Generator,
        exits: npt.NDArray[np.uint32],
        addresses: npt.NDArray[np.uint32],
        chance: float,
    ) -> npt.NDArray[np.uint32]:
        """Replace each address, with this chance, by a popular shared exit."""
        hit = rng.random(len(addresses)) < chance
        out = addresses.copy()
        out[hit] = exits[zipf_choice(rng, len(exits), int(hit.sum()), exponent=0.8)]
        return out

    def pick(
        self, rng: np.random.Generator, universe: npt.NDArray[np.uint32], size: int, popular: bool
    ) -> npt.NDArray[np.uint32]:
        """/24s from a universe: Zipf-popular (ISPs, clouds) or uniform (proxy exits)."""
        if popular:
            return universe[zipf_choice(rng, len(universe), size, exponent=0.8)]
        return universe[rng.integers(0, len(universe), size=size)]
