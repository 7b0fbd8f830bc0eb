"""Profile cmi1020: the Elvaco CMi1020 M-Bus slave, one module per manual section (``conftest.py``
says what it certifies). A package, so its modules import each other explicitly
(``from .lib import …``) and never another profile's; what profiles share is in the metercert
package (``from metercert import table6``)."""
