"""The app served to people who have only an SSH client or a browser.

asyncssh still reads DSA (ssh-dss) keys, and names cryptography's DSA classes while it is
imported; cryptography warns of DSA's coming removal at each name, five blocks on the
host's terminal at every ``ssh-serve`` start that say nothing its user can act on. They
are silenced here, before any module of this package imports asyncssh, and only those:
that warning, raised from asyncssh's own modules. (The host key ssh-serve makes is
Ed25519.)
"""

import warnings

warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"asyncssh(\.|$)")
