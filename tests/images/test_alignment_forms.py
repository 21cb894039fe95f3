"""Ways entrypoint scripts read the socket's GID (``stat -c %g``, ``ls -ln``, …)."""

from __future__ import annotations

import pytest

from dindlint.images import detect_alignment

DROP = '\ngroupmod -o -g "$GID" docker\nexec gosu jenkins "$@"\n'


@pytest.mark.parametrize(
    "read",
    [
        "GID=$(stat -c %g /var/run/docker.sock)",
        "GID=$(stat -c '%g' /var/run/docker.sock)",
        "GID=$(ls -ln /var/run/docker.sock | awk '{print $4}')",
        "GID=`ls -ng /var/run/docker.sock | cut -f3 -d' '`",
    ],
)
def test_reads_of_the_socket_gid_are_recognised(read: str) -> None:
    assert detect_alignment(read + DROP)


def test_listing_without_the_gid_column_is_not_a_read() -> None:
    assert not detect_alignment("ls -l /var/run/docker.sock" + DROP)
