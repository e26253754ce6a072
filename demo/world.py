"""The demo world: the 2024 cohort, its agencies and one official per agency role.

seed_demo, the tests and the docs all use this one world, so the names in a
test failure are the names a newcomer logs in with.
"""

from dataclasses import dataclass

from django.db import transaction

from agreements.models import Agency, Programme, Region, RegionKind
from agreements.regions import REGIONAL_AGENCY_NAMES
from permissions.models import RoleAssignment
from permissions.roles import AgencyKind, RoleKind
from permissions.services import official_upsert, role_sync_user

DEMO_PASSWORD = "sepakat-demo-2024"
COHORT_YEAR = 2024

# (kind, name, slug, province), March 2024 selection (domain.md).
REGIONS = [
    (RegionKind.KABUPATEN, "Bangli", "kab-bangli", "Bali"),
    (RegionKind.KABUPATEN, "Bone Bolango", "kab-bone-bolango", "Gorontalo"),
    (RegionKind.KABUPATEN, "Gianyar", "kab-gianyar", "Bali"),
    (RegionKind.KABUPATEN, "Pekalongan", "kab-pekalongan", "Jawa Tengah"),
    (RegionKind.KABUPATEN, "Purbalingga", "kab-purbalingga", "Jawa Tengah"),
    (RegionKind.KABUPATEN, "Serang", "kab-serang", "Banten"),
    (RegionKind.KABUPATEN, "Tanah Bumbu", "kab-tanah-bumbu", "Kalimantan Selatan"),
    (RegionKind.KOTA, "Banjar", "kota-banjar", "Jawa Barat"),
    (RegionKind.KOTA, "Parepare", "kota-parepare", "Sulawesi Selatan"),
    (RegionKind.KOTA, "Solok", "kota-solok", "Sumatera Barat"),
]

CENTRAL_AGENCIES = {
    AgencyKind.LAIP: ("Direktorat Layanan Aplikasi Informatika Pemerintahan", "Direktorat LAIP"),
    AgencyKind.DITJEN_APTIKA: ("Direktorat Jenderal Aplikasi Informatika", "Ditjen APTIKA"),
    AgencyKind.TENAGA_AHLI: ("Tenaga Ahli Gerakan Menuju Kota Cerdas", "Tenaga Ahli"),
}


@dataclass(frozen=True)
class Seat:
    """One demo official: username suffix, post, agency and roles."""

    suffix: str
    post: str
    agency: AgencyKind
    roles: tuple[RoleKind, ...]
    head: bool = True


def regional_seats(region: Region) -> list[Seat]:
    r = region.display_name
    return [
        Seat("kominfo", f"Kepala Dinas Komunikasi dan Informatika {r}", AgencyKind.DISKOMINFO,
             (RoleKind.REVIEWER, RoleKind.PARAF)),
        Seat("kominfo.staf", f"Analis Kebijakan Ahli Muda, Diskominfo {r}", AgencyKind.DISKOMINFO,
             (RoleKind.DRAFTER,), head=False),
        Seat("hukum", f"Kepala Bagian Hukum Sekretariat Daerah {r}", AgencyKind.BAGIAN_HUKUM,
             (RoleKind.LEGAL_VERIFIER, RoleKind.PARAF)),
        Seat("bappeda", f"Kepala Bappeda {r}", AgencyKind.BAPPEDA, (RoleKind.REVIEWER,)),
        Seat("sekda", f"Sekretaris Daerah {r}", AgencyKind.SEKDA, (RoleKind.PARAF, RoleKind.REVIEWER, RoleKind.SIGNER)),
        Seat("kdh", region.head_title, AgencyKind.KEPALA_DAERAH, (RoleKind.SIGNER,)),
        Seat("auditor", f"Auditor, Inspektorat {r}", AgencyKind.SEKDA, (RoleKind.AUDITOR,), head=False),
    ]


CENTRAL_SEATS = [
    Seat("laip.staf", "Analis Kebijakan Ahli Madya, Direktorat LAIP", AgencyKind.LAIP, (RoleKind.DRAFTER,), head=False),
    Seat("laip.direktur", "Direktur Layanan Aplikasi Informatika Pemerintahan", AgencyKind.LAIP,
         (RoleKind.PARAF, RoleKind.SIGNER)),
    Seat("dirjen", "Direktur Jenderal Aplikasi Informatika", AgencyKind.DITJEN_APTIKA, (RoleKind.SIGNER,)),
    Seat("mentor", "Tenaga Ahli Kota Cerdas", AgencyKind.TENAGA_AHLI, (RoleKind.REVIEWER,)),
    Seat("auditor", "Auditor Ahli Madya, Inspektorat Jenderal", AgencyKind.LAIP, (RoleKind.AUDITOR,), head=False),
]

GIVEN = [
    "Andi", "Budi", "Citra", "Dewi", "Eko", "Fitri", "Gede", "Hendra", "Indah", "Joko", "Kadek", "Lestari",
    "Made", "Nur", "Oka", "Putu", "Rahmat", "Sari", "Taufik", "Utami", "Wayan", "Yusuf", "Zulkifli", "Agus",
    "Bambang", "Dian", "Fajar", "Hartono", "Irfan", "Kurniawati", "Lukman", "Maya", "Nyoman", "Ratna",
    "Siti", "Teguh", "Wahyu", "Yohana", "Ahmad", "Rina",
]
FAMILY = [
    "Pratama", "Santoso", "Wijaya", "Lestari", "Saputra", "Hidayat", "Kusuma", "Nugroho", "Siregar",
    "Harahap", "Sinaga", "Suryadi", "Mahendra", "Rahayu", "Permana", "Gunawan", "Setiawan", "Wibowo",
    "Hasibuan", "Tambunan", "Ramadhan", "Firmansyah", "Daulay", "Simanjuntak", "Putra", "Astuti", "Halim",
]
TITLES = ["S.Kom., M.T.", "S.H., M.H.", "S.E., M.Si.", "S.T., M.Eng.", "S.Sos., M.AP.", "Dr.", "S.IP., M.Si."]


def _person(index: int) -> tuple[str, str]:
    """A deterministic realistic name and NIP for the index-th official."""
    given = GIVEN[(index * 7) % len(GIVEN)]
    family = FAMILY[(index * 5) % len(FAMILY)]
    title = TITLES[index % len(TITLES)]
    name = f"Dr. {given} {family}" if title == "Dr." else f"{given} {family}, {title}"
    birth = f"19{68 + index % 20:02d}{1 + index % 12:02d}{1 + index % 28:02d}"
    appointed = f"{1995 + index % 20}{1 + (index * 3) % 12:02d}"
    nip = f"{birth} {appointed} {1 + index % 2} {index % 1000:03d}"
    return name, nip


@dataclass
class SeededOfficial:
    username: str
    full_name: str
    agency: str
    roles: str


@transaction.atomic
def seed_world() -> list[SeededOfficial]:
    """Create or update regions, agencies, officials and roles. Safe to run again."""
    seeded: list[SeededOfficial] = []
    central = {
        kind: Agency.objects.update_or_create(region=None, kind=kind, defaults={"name": name, "short_name": short})[0]
        for kind, (name, short) in CENTRAL_AGENCIES.items()
    }
    index = 0
    for seat in CENTRAL_SEATS:
        index += 1
        seeded.append(_seat_official(seat, seat.suffix, central[seat.agency], index))
    for kind, name, slug, province in REGIONS:
        region, _ = Region.objects.update_or_create(
            slug=slug, defaults={"kind": kind, "name": name, "province": province}
        )
        Programme.objects.get_or_create(region=region, year=COHORT_YEAR)
        agencies = {
            agency_kind: Agency.objects.update_or_create(
                region=region, kind=agency_kind,
                defaults={"name": pattern.format(r=region.display_name), "short_name": short},
            )[0]
            for agency_kind, (pattern, short) in REGIONAL_AGENCY_NAMES.items()
        }
        for seat in regional_seats(region):
            index += 1
            seeded.append(_seat_official(seat, f"{slug}.{seat.suffix}", agencies[seat.agency], index))
    return seeded


DEMO_MAIL_DOMAIN = "sepakat.example"  # reserved (RFC 2606): never a real mailbox


def _seat_official(seat: Seat, username: str, agency: Agency, index: int) -> SeededOfficial:
    full_name, nip = _person(index)
    user, _created = official_upsert(
        username=username, full_name=full_name, post=seat.post, nip=nip, password=DEMO_PASSWORD
    )
    if not user.email:  # notices by e-mail: in the embedded default they are files under var/mail/
        user.email = f"{username}@{DEMO_MAIL_DOMAIN}"
        user.save(update_fields=["email"])
    for role in seat.roles:
        RoleAssignment.objects.update_or_create(
            user=user, agency=agency, role=role, defaults={"valid_from": "2024-01-01", "is_head": seat.head}
        )
    role_sync_user(user=user)
    return SeededOfficial(
        username=username,
        full_name=full_name,
        agency=agency.short_name + (f" {agency.region.display_name}" if agency.region else ""),
        roles=", ".join(str(RoleKind(r).label) for r in seat.roles),
    )
