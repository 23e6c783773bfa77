"""``skiff-dns``: the cluster's DNS server, answering for ``cluster.local`` from informers.

:mod:`proxy.dns.records` computes answers from the cached Services, Endpoints and Pods
(pure, no I/O); :mod:`proxy.dns.server` speaks DNS over UDP and TCP with dnslib;
:mod:`proxy.dns.main` is the process. The names it knows are those of the Kubernetes DNS
specification (kubernetes/dns ``docs/specification.md``).
"""
