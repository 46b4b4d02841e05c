from tests.lazy._modgen import modgen

__all__ = ["modgen"]
