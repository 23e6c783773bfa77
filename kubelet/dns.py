"""A pod's /etc/resolv.conf, /etc/hosts and hostname, as Kubernetes writes them.

``dnsPolicy: ClusterFirst`` (the default) points the pod at the cluster DNS Service with
the namespace's search path and ``ndots:5``; ``Default`` copies the node's resolver;
``None`` takes everything from ``dnsConfig``, which the other policies merge in too. A
host-network pod uses the node's resolver unless it asks for
``ClusterFirstWithHostNet``, and the node's /etc/hosts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from apimachinery.core_v1 import Pod

__all__ = ["DNSSettings", "hostname_of", "hosts_file", "resolv_conf"]

MAX_SEARCH = 32  # Linux's resolver since glibc 2.26 (Kubernetes' MaxDNSSearchPaths)
MAX_NAMESERVERS = 3


@dataclass(frozen=True)
class DNSSettings:
    cluster_dns: tuple[str, ...] = ("10.96.0.10",)
    cluster_domain: str = "cluster.local"
    host_resolv_conf: Path = Path("/etc/resolv.conf")


@dataclass
class _Resolver:
    nameservers: list[str] = field(default_factory=list)
    searches: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)


def _parse(text: str) -> _Resolver:
    found = _Resolver()
    for line in text.splitlines():
        words = line.split("#")[0].split()
        if not words:
            continue
        if words[0] == "nameserver" and len(words) > 1:
            found.nameservers.append(words[1])
        elif words[0] in ("search", "domain"):
            found.searches = words[1:]
        elif words[0] == "options":
            found.options.extend(words[1:])
    return found


def _host_resolver(settings: DNSSettings) -> _Resolver:
    try:
        return _parse(settings.host_resolv_conf.read_text())
    except OSError:
        return _Resolver()


def resolv_conf(pod: Pod, settings: DNSSettings) -> str:
    """The pod's /etc/resolv.conf."""
    spec = pod.spec
    policy = spec.dns_policy or "ClusterFirst"
    if spec.host_network and policy == "ClusterFirst":
        policy = "Default"
    if policy in ("ClusterFirst", "ClusterFirstWithHostNet") and settings.cluster_dns:
        namespace = pod.metadata.namespace or "default"
        domain = settings.cluster_domain
        resolver = _Resolver(
            list(settings.cluster_dns),
            [f"{namespace}.svc.{domain}", f"svc.{domain}", domain,
             *_host_resolver(settings).searches],
            ["ndots:5"],
        )
    elif policy == "None":
        resolver = _Resolver()
    else:
        resolver = _host_resolver(settings)
    _merge_dns_config(resolver, pod)
    return _render(resolver)


def _merge_dns_config(resolver: _Resolver, pod: Pod) -> None:
    config = pod.spec.dns_config
    if config is None:
        return
    for server in config.nameservers or ():
        if server not in resolver.nameservers:
            resolver.nameservers.append(server)
    for search in config.searches or ():
        if search not in resolver.searches:
            resolver.searches.append(search)
    for option in config.options or ():
        text = f"{option.name}:{option.value}" if option.value is not None else option.name or ""
        name = text.split(":")[0]
        resolver.options = [o for o in resolver.options if o.split(":")[0] != name]
        resolver.options.append(text)


def _render(resolver: _Resolver) -> str:
    lines = [f"nameserver {server}" for server in resolver.nameservers[:MAX_NAMESERVERS]]
    if resolver.searches:
        lines.append("search " + " ".join(dict.fromkeys(resolver.searches[:MAX_SEARCH])))
    if resolver.options:
        lines.append("options " + " ".join(resolver.options))
    return "\n".join(lines) + "\n"


def hostname_of(pod: Pod) -> str:
    """``spec.hostname`` or the pod's name, cut to the 63 characters a hostname may have."""
    name = pod.spec.hostname or pod.metadata.name or ""
    return name[:63].rstrip("-.")


def hosts_file(pod: Pod, pod_ip: str, settings: DNSSettings) -> str:
    """The pod's /etc/hosts (the node's own for host-network pods)."""
    if pod.spec.host_network:
        try:
            base = Path("/etc/hosts").read_text()
        except OSError:
            base = "127.0.0.1\tlocalhost\n"
    else:
        hostname = hostname_of(pod)
        names = [hostname]
        if pod.spec.subdomain:
            namespace = pod.metadata.namespace or "default"
            names.insert(0, f"{hostname}.{pod.spec.subdomain}.{namespace}.svc."
                            f"{settings.cluster_domain}")
        base = ("# Kubernetes-managed hosts file.\n"
                "127.0.0.1\tlocalhost\n"
                "::1\tlocalhost ip6-localhost ip6-loopback\n"
                "fe00::0\tip6-localnet\n"
                "fe00::0\tip6-mcastprefix\n"
                "fe00::1\tip6-allnodes\n"
                "fe00::2\tip6-allrouters\n"
                f"{pod_ip}\t{chr(9).join(names)}\n")
    aliases = pod.spec.host_aliases or ()
    if aliases:
        base += "\n# Entries added by HostAliases.\n"
        base += "".join(f"{alias.ip}\t{chr(9).join(alias.hostnames or ())}\n" for alias in aliases)
    return base
