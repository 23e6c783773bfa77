"""The docker-compose multi-node demo: `make demo`, `make demo-chaos`, `make demo-down`.

A control plane, an image registry and N nodes, each node a Docker-in-Docker container
running its own dockerd, skiff-kubelet, skiff-proxy and skiff-dns, all on one network of
the host; then the guestbook of the seeds on top. docs/demo.md is the user's guide.

Modules, in the order `make demo` uses them: :mod:`settings` (names, subnet, ports),
:mod:`images` (local image builds), :mod:`compose` (docker-compose and the generated
extra nodes), :mod:`cluster` (up and down as ordered steps), :mod:`guestbook` (pushing
its images, applying it, checking it end to end), :mod:`chaos` (the node failure demo).
"""
