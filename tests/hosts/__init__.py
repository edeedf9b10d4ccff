"""Real Debian test servers in podman containers, for Molecule, the end-to-end tests and the demo.

Images are built locally (no registry is reachable): a debootstrapped Debian base, then a layer with the
service packages preinstalled. Both are tagged by a hash of their inputs and rebuilt only when those change.
Servers boot systemd as PID 1, publish their ports on 127.0.0.1 only, and accept the project's test SSH key.
See docs/roles.md for the command line.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
STATE_DIR = Path(os.environ.get("BATON_TESTHOST_STATE", REPO / "var" / "testhosts"))
CONTAINERS_CONF = HERE / "containers.conf"

SUITE = "trixie"
BASE_PACKAGES = ("python3", "python3-apt", "systemd-sysv", "openssh-server", "ca-certificates", "iproute2", "procps")
SERVICE_PACKAGES = (
    "postfix",
    "dovecot-imapd",
    "dovecot-lmtpd",
    "dovecot-sieve",
    "bind9",
    "bind9-utils",
    "bind9-dnsutils",
    "apache2",
    "php-fpm",
    "mariadb-server",
    "mailman3",
    "needrestart",
    "acl",
    "libnss-extrausers",
    "sudo",
    "tzdata",
)
BASE_REPO = "localhost/baton-testhost-base"
SERVICES_REPO = "localhost/baton-testhost"
LABEL = "baton.testhost"
# Container names are global to the machine: checkouts testing side by side set a prefix of their own.
PREFIX = os.environ.get("BATON_TESTHOST_PREFIX", "")


def container_name(name: str) -> str:
    return name if name.startswith(PREFIX) else f"{PREFIX}{name}"


def log(message: str) -> None:
    print(f"testhost: {message}", file=sys.stderr, flush=True)


def podman_env() -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}


def podman(
    *args: str,
    check: bool = True,
    capture: bool = True,
    stdin: bytes | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["podman", *args],
        env=podman_env(),
        check=check,
        text=True,
        input=stdin and stdin.decode(),
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.PIPE if capture else None,
    )


def _as_root(cmd: list[str]) -> list[str]:
    return cmd if os.geteuid() == 0 else ["sudo", *cmd]


def ensure_tools() -> None:
    """Install podman, runc, debootstrap and the SSH client when missing (Debian packages)."""
    wanted = {
        "podman": "podman",
        "runc": "runc",
        "debootstrap": "debootstrap",
        "ssh": "openssh-client",
        "ssh-keygen": "openssh-client",
    }
    missing = sorted({package for tool, package in wanted.items() if shutil.which(tool) is None})
    if not missing:
        return
    log(f"installing {' '.join(missing)}")
    subprocess.run(_as_root(["apt-get", "update", "-qq"]), check=True)
    subprocess.run(
        _as_root(
            [
                "env",
                "DEBIAN_FRONTEND=noninteractive",
                "apt-get",
                "install",
                "-y",
                "-qq",
                "--no-install-recommends",
                *missing,
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _source_uris(path: Path) -> list[str]:
    uris = []
    for line in path.read_text().splitlines():
        words = line.split()
        if words[:1] == ["URIs:"]:  # deb822 .sources
            uris += words[1:]
        elif words[:1] == ["deb"]:  # one-line format, options like [signed-by=...] allowed
            uris += [word for word in words[1:] if "://" in word][:1]
    return uris


def debian_mirror() -> str:
    """The Debian mirror this machine's apt already uses, so image builds go where apt is allowed to go."""
    if os.environ.get("BATON_DEBIAN_MIRROR"):
        return os.environ["BATON_DEBIAN_MIRROR"]
    sources = Path("/etc/apt")
    for path in [
        *sorted(sources.glob("sources.list.d/*.sources")),
        sources / "sources.list",
        *sorted(sources.glob("sources.list.d/*.list")),
    ]:
        if path.is_file():
            for uri in _source_uris(path):
                if uri.rstrip("/").endswith("/debian"):
                    return uri.rstrip("/")
    return "http://deb.debian.org/debian"


def _digest(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def base_tag() -> str:
    inputs = (
        SUITE,
        *BASE_PACKAGES,
        (HERE / "firstboot-ssh-keygen.service").read_bytes(),
        Path(__file__).read_bytes().split(b"# -- base build --")[1].split(b"# -- end base build --")[0],
    )
    return f"{BASE_REPO}:{_digest(*inputs)}"


def services_tag() -> str:
    return f"{SERVICES_REPO}:{_digest(base_tag(), *SERVICE_PACKAGES, (HERE / 'Containerfile.services').read_bytes())}"


def image_exists(tag: str) -> bool:
    return podman("image", "exists", tag, check=False).returncode == 0


# -- base build --
def _write_sources(rootfs: Path, mirror: str) -> None:
    security = mirror.rsplit("/", 1)[0] + "/debian-security"
    (rootfs / "etc/apt/sources.list").write_text(
        f"deb {mirror} {SUITE} main\ndeb {mirror} {SUITE}-updates main\ndeb {security} {SUITE}-security main\n"
    )


def _customise_rootfs(rootfs: Path, mirror: str) -> None:
    _write_sources(rootfs, mirror)
    for key in (rootfs / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    unit = rootfs / "etc/systemd/system/firstboot-ssh-keygen.service"
    shutil.copy(HERE / "firstboot-ssh-keygen.service", unit)
    wants = rootfs / "etc/systemd/system/multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    (wants / unit.name).symlink_to(f"/etc/systemd/system/{unit.name}")
    (rootfs / "etc/ssh/sshd_config.d").mkdir(parents=True, exist_ok=True)
    (rootfs / "etc/ssh/sshd_config.d/00-testhost.conf").write_text(
        "# Test servers: key-only root login, no reverse DNS on connect.\n"
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\nUseDNS no\n"
    )
    (rootfs / "root/.ssh").mkdir(mode=0o700, exist_ok=True)
    # Containers have no console to log in on; these units only slow boot down or fail there.
    for masked in ("getty@tty1.service", "console-getty.service", "systemd-logind.service"):
        target = rootfs / "etc/systemd/system" / masked
        if not target.exists():
            target.symlink_to("/dev/null")
    (rootfs / "etc/hostname").write_text("testhost\n")


def build_base() -> str:
    tag = base_tag()
    if image_exists(tag):
        return tag
    mirror = debian_mirror()
    log(f"building {tag} from Debian {SUITE} ({mirror})")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="baton-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        subprocess.run(
            _as_root(
                ["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}", SUITE, str(rootfs), mirror]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        _customise_rootfs(rootfs, mirror)
        # Package lists stay in the image: an empty lists dir makes the first apt task find nothing.
        subprocess.run(_as_root(["chroot", str(rootfs), "apt-get", "update", "-qq"]), check=True)
        tar = subprocess.Popen(_as_root(["tar", "-C", str(rootfs), "-c", "."]), stdout=subprocess.PIPE)
        subprocess.run(
            ["podman", "import", "--change", "CMD=/sbin/init", "-", tag],
            stdin=tar.stdout,
            env=podman_env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        if tar.wait() != 0:
            raise RuntimeError("tar of the root file system failed")
    log(f"built {tag} in {time.monotonic() - started:.0f} s")
    return tag


# -- end base build --


def build_services() -> str:
    base = build_base()
    tag = services_tag()
    if image_exists(tag):
        return tag
    log(f"building {tag} (service packages)")
    started = time.monotonic()
    build_log = STATE_DIR / "build-services.log"
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    result = podman(
        "build",
        "--pull=never",
        "--network=host",
        "--build-arg",
        f"BASE={base}",
        "--build-arg",
        f"PACKAGES={' '.join(SERVICE_PACKAGES)}",
        "-t",
        tag,
        "-f",
        str(HERE / "Containerfile.services"),
        str(HERE),
        check=False,
    )
    build_log.write_text(result.stdout + result.stderr)
    if result.returncode:
        sys.stderr.write("".join((result.stdout + result.stderr).splitlines(keepends=True)[-40:]))
        raise RuntimeError(f"building {tag} failed; full log in {build_log}")
    log(f"built {tag} in {time.monotonic() - started:.0f} s")
    return tag


def build() -> str:
    """Both images, each only when its inputs changed. Returns the services image tag."""
    ensure_tools()
    return build_services()


def ssh_key() -> Path:
    """The project's test SSH key (generated once, kept under var/, never committed)."""
    key = STATE_DIR / "id_ed25519"
    if not key.exists():
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "baton-testhost", "-f", str(key)], check=True
        )
    return key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class TestHost:
    """Connection details of a running test server."""

    name: str
    image: str
    ssh_port: int
    ports: dict[int, int] = field(default_factory=dict)  # container port -> 127.0.0.1 port
    address: str = ""  # the container's address on the podman network, for server-to-server traffic
    host_key: str = ""  # "ssh-ed25519 AAAA..." read from the server, for pinning
    ssh_key: str = ""
    known_hosts: str = ""

    def ssh_command(self) -> list[str]:
        return [
            "ssh",
            "-i",
            self.ssh_key,
            "-p",
            str(self.ssh_port),
            "-o",
            f"UserKnownHostsFile={self.known_hosts}",
            "-o",
            "StrictHostKeyChecking=yes",
            "root@127.0.0.1",
        ]


def _wait_for_ssh(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                if sock.recv(4).startswith(b"SSH-"):
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"SSH on 127.0.0.1:{port} did not answer within {timeout:.0f} s")


def _exec(name: str, *cmd: str) -> str:
    return podman("exec", name, *cmd).stdout


def start(name: str, *, ports: list[int] = (), image: str | None = None, timeout: float = 90) -> TestHost:
    """Start (or replace) test server `name`; SSH plus `ports` are published on 127.0.0.1 at free ports."""
    name = container_name(name)
    image = image or build()
    key = ssh_key()
    podman("rm", "-f", "-t", "0", name, check=False)
    published = {22: free_port(), **{port: free_port() for port in ports}}
    args = ["run", "-d", "--name", name, "--hostname", name, "--label", f"{LABEL}=1"]
    for inner, outer in published.items():
        protocols = ("tcp", "udp") if inner == 53 else ("tcp",)
        args += [arg for proto in protocols for arg in ("-p", f"127.0.0.1:{outer}:{inner}/{proto}")]
    podman(*args, image, "/sbin/init")
    deadline = time.monotonic() + timeout
    while podman("exec", name, "test", "-s", "/etc/ssh/ssh_host_ed25519_key.pub", check=False).returncode:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name}: no SSH host key after {timeout:.0f} s")
        time.sleep(0.3)
    pubkey = Path(f"{key}.pub").read_text()
    podman(
        "exec",
        "-i",
        name,
        "sh",
        "-c",
        "umask 077; mkdir -p /root/.ssh; cat > /root/.ssh/authorized_keys",
        stdin=pubkey.encode(),
    )
    _wait_for_ssh(published[22], max(5.0, deadline - time.monotonic()))
    host_key = " ".join(_exec(name, "cat", "/etc/ssh/ssh_host_ed25519_key.pub").split()[:2])
    address = podman("inspect", "-f", "{{.NetworkSettings.IPAddress}}", name).stdout.strip()
    known_hosts = STATE_DIR / f"{name}.known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{published[22]} {host_key}\n")
    host = TestHost(
        name=name,
        image=image,
        ssh_port=published.pop(22),
        ports=published,
        address=address,
        host_key=host_key,
        ssh_key=str(key),
        known_hosts=str(known_hosts),
    )
    (STATE_DIR / f"{name}.json").write_text(json.dumps(asdict(host), indent=2))
    return host


def stop(name: str) -> None:
    name = container_name(name)
    podman("rm", "-f", "-t", "0", name, check=False)
    for suffix in (".json", ".known_hosts"):
        (STATE_DIR / f"{name}{suffix}").unlink(missing_ok=True)


def running() -> list[str]:
    out = podman("ps", "--filter", f"label={LABEL}", "--format", "{{.Names}}").stdout
    return sorted(out.split())


def info(name: str) -> TestHost:
    name = container_name(name)
    data = json.loads((STATE_DIR / f"{name}.json").read_text())
    data["ports"] = {int(k): v for k, v in data["ports"].items()}
    return TestHost(**data)
