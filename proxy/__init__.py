"""skiff's service proxy (``skiff-proxy``) and cluster DNS (``skiff-dns``).

The proxy runs on every node. It turns Services and Endpoints into packet rewriting:
in ``iptables`` mode (the default) it computes the whole rule set and applies it with a
single ``iptables-restore --noflush`` into its own chains; in ``userspace`` mode it
relays TCP connections itself. It also routes every other node's pod CIDR through that
node (host-gw, as flannel does) and keeps the safety routes of SPEC.md in place.

The pieces, pure first:

* :mod:`proxy.servicemap`: Services and Endpoints reduced to what a proxy needs;
* :mod:`proxy.chains` and :mod:`proxy.rules`: chain names and the iptables rule set;
* :mod:`proxy.runner`: the coalescing runner that bounds how often rules are synced;
* :mod:`proxy.iptables`, :mod:`proxy.conntrack`, :mod:`proxy.netdev`: the host's tools;
* :mod:`proxy.proxier`, :mod:`proxy.userspace`, :mod:`proxy.routes`,
  :mod:`proxy.loadbalancer`: the controllers; :mod:`proxy.main` wires them;
* :mod:`proxy.dns`: ``skiff-dns``.

docs/networking.md draws the path of a packet through all of it.
"""
