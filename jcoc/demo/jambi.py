"""Seed data for Kota Jambi: agencies, their services and KPIs, cameras, incident templates.

Data only. Another city adopts JCOC's demo by writing a module like this one. Names are
the ones a Jambi operator would recognise; numbers are plausible, not official figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ServiceSeed:
    code: str
    name: str
    # Seconds between two pushes of the simulated agency system (in simulated time).
    report_s: int = 30
    # How unreliable the simulated system is (1.0 = the city's average).
    flakiness: float = 1.0
    # The system only runs in office hours (07-16 WIB); outside it reports maintenance.
    office_hours: bool = False


@dataclass(frozen=True)
class KpiSeed:
    code: str
    name: str
    unit: str
    # Shape of the daily rhythm (see jcoc.demo.agencies.kpi_value):
    # "level"   base + amplitude * daily curve peaking at `peak_hours`
    # "inverse" base - amplitude * daily curve (e.g. water pressure drops at peak demand)
    # "today"   a counter since midnight WIB growing during office hours, about `base` per day
    # "river"   a slow multi-day swell around `base` plus a small daily tide
    shape: str
    base: float
    amplitude: float = 0.0
    peak_hours: tuple[float, ...] = (8.0, 17.0)
    noise: float = 0.02
    decimals: int = 1
    warn_at: float | None = None
    crit_at: float | None = None
    higher_is_worse: bool = True
    report_s: int = 60


@dataclass(frozen=True)
class IncidentTemplate:
    title: str
    category: str
    severity: int  # 1 critical … 4 low
    description: str = ""
    kecamatan: str = ""  # where it happens when the title names a place; else anywhere


@dataclass(frozen=True)
class AgencySeed:
    code: str
    name: str
    services: tuple[ServiceSeed, ...]
    kpis: tuple[KpiSeed, ...] = ()
    incidents: tuple[IncidentTemplate, ...] = ()
    # Chance per simulated 20 minutes that the agency reports one of its incidents.
    incident_rate: float = 0.0


@dataclass(frozen=True)
class CameraSeed:
    code: str
    name: str
    kecamatan: str
    agency: str = "dishub"
    # Offset in degrees from the kecamatan centroid (jcoc.geo), so pins do not overlap.
    offset: tuple[float, float] = field(default=(0.0, 0.0))


S = ServiceSeed
K = KpiSeed
I = IncidentTemplate  # noqa: E741 - short alias keeps the table readable

AGENCIES: tuple[AgencySeed, ...] = (
    AgencySeed(
        "dishub",
        "Dinas Perhubungan",
        (
            S("atcs", "ATCS / lampu lalu lintas"),
            S("pju", "Penerangan Jalan Umum (PJU) pintar", report_s=60),
            S("e-parkir", "E-Parkir tepi jalan"),
            S("uji-kir", "Uji KIR kendaraan", office_hours=True),
        ),
        (
            K(
                "lalin_simpang_kawat",
                "Volume lalu lintas Simpang Kawat",
                "kend/jam",
                "level",
                2600,
                1900,
                (7.5, 17.0),
                0.06,
                0,
                warn_at=4200,
                crit_at=5000,
            ),
            K(
                "lalin_simpang_rimbo",
                "Volume lalu lintas Simpang Rimbo",
                "kend/jam",
                "level",
                1800,
                1300,
                (7.0, 16.5),
                0.07,
                0,
                warn_at=3000,
                crit_at=3600,
            ),
            K(
                "pju_menyala",
                "PJU menyala (malam)",
                "%",
                "level",
                96.0,
                0.0,
                (),
                0.01,
                1,
                warn_at=90,
                crit_at=80,
                higher_is_worse=False,
                report_s=300,
            ),
        ),
        (
            I("Lampu lalu lintas padam di Simpang Kawat", "traffic", 2, kecamatan="Jelutung"),
            I("Kemacetan panjang di Simpang Pulai", "traffic", 3, kecamatan="Jambi Selatan"),
            I("Kecelakaan lalu lintas di Simpang Rimbo", "traffic", 2, kecamatan="Alam Barajo"),
        ),
        incident_rate=0.08,
    ),
    AgencySeed(
        "bpbd",
        "Badan Penanggulangan Bencana Daerah",
        (
            S("tma-batanghari", "Sensor tinggi muka air Batanghari", report_s=60),
            S("ews-banjir", "Sirine peringatan dini banjir (EWS)", report_s=60),
            S("pusdalops", "Pusdalops BPBD / radio"),
        ),
        (
            K(
                "tma_batanghari",
                "Tinggi muka air Sungai Batanghari",
                "m",
                "river",
                9.4,
                1.6,
                (),
                0.004,
                2,
                warn_at=11.5,
                crit_at=13.0,
                report_s=120,
            ),
            K(
                "curah_hujan",
                "Curah hujan",
                "mm/jam",
                "level",
                0.6,
                5.0,
                (15.0,),
                0.5,
                1,
                warn_at=20,
                crit_at=50,
            ),
        ),
        (
            I("Genangan air setinggi 40 cm di jalan permukiman", "flood", 2),
            I("Pohon tumbang menutup jalan", "infrastructure", 3, kecamatan="Telanaipura"),
            I("Tanah longsor kecil di tebing sungai", "infrastructure", 2, kecamatan="Danau Teluk"),
        ),
        incident_rate=0.06,
    ),
    AgencySeed(
        "dpmptsp",
        "Dinas Penanaman Modal dan PTSP",
        (
            S("e-perizinan", "E-Perizinan (SiCantik)"),
            S("oss-gateway", "Gateway OSS-RBA"),
            S("mpp-antrean", "Antrean Mal Pelayanan Publik", office_hours=True),
        ),
        (
            K(
                "izin_terbit",
                "Izin terbit hari ini",
                "izin",
                "today",
                85,
                noise=0.0,
                decimals=0,
                higher_is_worse=False,
                report_s=300,
            ),
        ),
    ),
    AgencySeed(
        "dinkes",
        "Dinas Kesehatan",
        (
            S("antrean-puskesmas", "Antrean online puskesmas"),
            S("simpus", "SIMPUS (rekam medis puskesmas)"),
            S("psc-119", "PSC 119 / ambulans gawat darurat"),
            S("simrs-abdul-manap", "SIMRS RSUD H. Abdul Manap"),
        ),
        (
            K(
                "antrean_puskesmas",
                "Pasien menunggu di puskesmas",
                "orang",
                "level",
                40,
                260,
                (9.0,),
                0.08,
                0,
                warn_at=300,
                crit_at=450,
            ),
            K(
                "ambulans_siaga",
                "Ambulans siaga",
                "unit",
                "inverse",
                12,
                4,
                (10.0, 19.0),
                0.05,
                0,
                warn_at=6,
                crit_at=3,
                higher_is_worse=False,
                report_s=300,
            ),
        ),
    ),
    AgencySeed(
        "dukcapil",
        "Dinas Kependudukan dan Pencatatan Sipil",
        (
            S("dukcapil-online", "Dukcapil online (layanan daring)"),
            S("siak", "SIAK terpusat"),
            S("adm-mandiri", "Anjungan Dukcapil Mandiri (ADM)"),
            S("cetak-ktp-el", "Pencetakan KTP-el", office_hours=True),
        ),
        (
            K(
                "dokumen_terbit",
                "Dokumen kependudukan terbit hari ini",
                "dokumen",
                "today",
                420,
                noise=0.0,
                decimals=0,
                higher_is_worse=False,
                report_s=300,
            ),
        ),
    ),
    AgencySeed(
        "pdam",
        "Perumda Air Minum Tirta Mayang",
        (
            S("pdam-billing", "Billing & pembayaran rekening air"),
            S("pdam-scada", "SCADA tekanan jaringan", report_s=60),
            S("ipa-aur-duri", "IPA Aur Duri (instalasi pengolahan)", report_s=60),
            S("ipa-broni", "IPA Broni (instalasi pengolahan)", report_s=60),
            S("pdam-pengaduan", "Pengaduan pelanggan"),
        ),
        (
            K(
                "tekanan_pdam",
                "Tekanan air jaringan distribusi",
                "bar",
                "inverse",
                2.4,
                0.9,
                (6.0, 18.0),
                0.03,
                2,
                warn_at=1.2,
                crit_at=0.8,
                higher_is_worse=False,
            ),
            K(
                "produksi_air",
                "Produksi air IPA",
                "l/detik",
                "level",
                1050,
                150,
                (6.0, 18.0),
                0.02,
                0,
                report_s=300,
            ),
        ),
        (I("Pipa distribusi PDAM bocor", "infrastructure", 3),),
        incident_rate=0.04,
    ),
    AgencySeed(
        "bpkad",
        "Badan Pengelolaan Keuangan dan Aset Daerah",
        (
            S("sp2d-online", "SP2D online (SIPD)", office_hours=True),
            S("simpeg-gaji", "SIMPEG & penggajian ASN"),
            S("e-pad", "Pajak daerah online (e-PAD)"),
        ),
        (
            K(
                "sp2d_terbit",
                "SP2D terbit hari ini",
                "SP2D",
                "today",
                140,
                noise=0.0,
                decimals=0,
                higher_is_worse=False,
                report_s=300,
            ),
        ),
    ),
    AgencySeed(
        "diskominfo",
        "Dinas Komunikasi dan Informatika",
        (
            S("call-112", "Call center 112"),
            S("e-office", "E-Office / nota dinas"),
            S("portal-kota", "Portal jambikota.go.id"),
            S("jaringan-fo", "Jaringan fiber optik antar-OPD", report_s=60),
            S("pusat-data", "Pusat data (data center) Pemkot", report_s=60),
            S("wifi-publik", "WiFi publik taman kota", flakiness=2.0),
        ),
        (
            K(
                "panggilan_112",
                "Panggilan 112 per jam",
                "panggilan/jam",
                "level",
                14,
                46,
                (10.0, 20.0),
                0.12,
                0,
                warn_at=90,
                crit_at=140,
            ),
            K(
                "bandwidth_uplink",
                "Pemakaian uplink internet",
                "Mbps",
                "level",
                180,
                520,
                (10.0, 14.0),
                0.05,
                0,
                warn_at=850,
                crit_at=950,
            ),
        ),
    ),
    AgencySeed(
        "satpolpp",
        "Satuan Polisi Pamong Praja",
        (
            S("patroli-gps", "GPS patroli trantib"),
            S("pengaduan-trantib", "Pengaduan ketertiban umum"),
        ),
        (
            K(
                "patroli_aktif",
                "Regu patroli aktif",
                "regu",
                "level",
                3,
                5,
                (10.0, 21.0),
                0.1,
                0,
                higher_is_worse=False,
                report_s=300,
            ),
        ),
        (
            I("PKL menutup trotoar di Pasar Angso Duo", "public_order", 4, kecamatan="Pasar Jambi"),
            I("Laporan warga: bangunan liar di sempadan sungai", "public_complaint", 4),
        ),
        incident_rate=0.05,
    ),
    AgencySeed(
        "damkar",
        "Dinas Pemadam Kebakaran dan Penyelamatan",
        (
            S("damkar-dispatch", "Dispatch pemadam (113)"),
            S("armada-gps", "GPS armada pemadam"),
            S("hidran-monitor", "Pemantauan hidran kota", report_s=60, flakiness=1.5),
        ),
        (
            K(
                "waktu_tanggap",
                "Waktu tanggap rata-rata",
                "menit",
                "level",
                11,
                3,
                (17.0,),
                0.1,
                1,
                warn_at=15,
                crit_at=20,
                report_s=300,
            ),
        ),
        (
            I("Kebakaran rumah warga", "fire", 1),
            I("Kebakaran lahan kosong", "fire", 2, kecamatan="Alam Barajo"),
        ),
        incident_rate=0.04,
    ),
    AgencySeed(
        "dlh",
        "Dinas Lingkungan Hidup",
        (
            S("gps-truk-sampah", "GPS truk sampah"),
            S("aqms", "Stasiun kualitas udara (AQMS)", report_s=60),
            S("timbangan-tpa", "Jembatan timbang TPA Talang Gulo"),
        ),
        (
            K(
                "pm25",
                "PM2.5 (kualitas udara)",
                "µg/m³",
                "level",
                22,
                18,
                (7.0, 19.0),
                0.1,
                0,
                warn_at=55,
                crit_at=150,
            ),
            K(
                "truk_sampah_aktif",
                "Truk sampah beroperasi",
                "truk",
                "level",
                6,
                48,
                (6.0,),
                0.08,
                0,
                higher_is_worse=False,
                report_s=300,
            ),
            K(
                "sampah_tpa",
                "Sampah masuk TPA hari ini",
                "ton",
                "today",
                430,
                noise=0.0,
                decimals=1,
                higher_is_worse=False,
                report_s=300,
            ),
        ),
        (I("Tumpukan sampah liar di tepi jalan", "public_complaint", 4),),
        incident_rate=0.04,
    ),
)

C = CameraSeed
CAMERAS: tuple[CameraSeed, ...] = (
    C("cctv-simpang-rimbo", "Simpang Rimbo", "Alam Barajo", offset=(0.004, -0.003)),
    C("cctv-terminal-alam-barajo", "Terminal Alam Barajo", "Alam Barajo", offset=(-0.003, 0.004)),
    C("cctv-danau-sipin", "Taman Danau Sipin", "Danau Sipin", agency="diskominfo"),
    C("cctv-seberang-kota", "Dermaga Seberang Kota", "Danau Teluk", offset=(0.002, 0.003)),
    C("cctv-simpang-pulai", "Simpang Pulai", "Jambi Selatan", offset=(0.003, 0.002)),
    C("cctv-thehok", "Pasar Thehok", "Jambi Selatan", offset=(-0.004, -0.002)),
    C("cctv-talang-banjar", "Pasar Talang Banjar", "Jambi Timur", agency="satpolpp"),
    C("cctv-simpang-jelutung", "Simpang Jelutung", "Jelutung", offset=(0.002, -0.003)),
    C("cctv-simpang-kawat", "Simpang Kawat", "Jelutung", offset=(-0.003, 0.003)),
    C("cctv-kantor-walikota", "Kantor Wali Kota", "Kota Baru", agency="diskominfo"),
    C("cctv-simpang-mayang", "Simpang Mayang", "Kota Baru", offset=(0.004, 0.004)),
    C("cctv-lingkar-timur", "Jl. Lingkar Timur", "Paal Merah", offset=(0.003, -0.004)),
    C("cctv-bandara", "Bandara Sultan Thaha", "Paal Merah", offset=(-0.004, 0.003)),
    C("cctv-tanggo-rajo", "Tanggo Rajo", "Pasar Jambi", agency="diskominfo"),
    C("cctv-angso-duo", "Pasar Angso Duo", "Pasar Jambi", offset=(0.002, 0.004)),
    C("cctv-gentala-arasy", "Jembatan Gentala Arasy", "Pelayangan", agency="diskominfo"),
    C("cctv-simpang-bi", "Simpang Bank Indonesia", "Telanaipura", offset=(-0.002, -0.003)),
    C("cctv-aur-duri", "Jembatan Aur Duri", "Telanaipura", offset=(0.004, 0.002)),
)

# Demo people: username -> (role, full name). Passwords are random, made on the first run.
USERS: tuple[tuple[str, str, str], ...] = (
    ("admin", "admin", "Administrator JCOC"),
    ("supervisor", "supervisor", "Kepala Ruang Kendali"),
    ("operator", "operator", "Operator Jaga"),
)

KIOSK_NAME = "dinding-utama"
