"""Profile cme3100-master: the Elvaco CMe3100 metering gateway as M-Bus master, one module per
manual section (``conftest.py`` says what it certifies). A package, so its modules import each
other explicitly (``from .lib import …``) and never another profile's. The package is the profile's
name with ``_`` for ``-`` (a Python name); users and case ids say ``cme3100-master``."""
