"""Profile cme3000: the Elvaco CMe3000 transparent TCP/IP ↔ M-Bus gateway, one module per manual
section (``conftest.py`` says what it certifies). A package, so its modules import each other
explicitly (``from .lib import …``) and never another profile's."""
