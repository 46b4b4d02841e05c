"""The one skip table of the peer conformance suites (tests/conformance/).

``SKIPS[suite][test]`` is the reason a test of that peer's own suite is not run against this
library. ``test`` is the test's name as pytest reports it: a bare name covers every
parametrization, ``name[param]`` one of them. Every entry must match a test that exists in the
fetched suite (a stale entry fails the run), and every deliberate difference behind an entry is
documented in README.md ("Differences from the peers"). Everything not listed must pass.
"""

from __future__ import annotations

# Reasons shared by several entries of the functools/cachetools suites (their keys are the
# peer's own node ids, "file.py::Class::test"). Each is an API the library does not offer or
# a deliberate difference documented in README.md.
_DIFF = "README.md, Differences from functools/cachetools"  # the section of the caching peers

# API not offered ---------------------------------------------------------------------------------
LOCK = (
    "API not offered: lock= and condition= (cached_function locks with its own RLock and runs "
    "one computation per key itself; the test counts acquisitions of a caller's lock)"
)
LOCK_THREADS = (
    "API not offered: lock=/condition=; and single-flight (deliberate, " + _DIFF + "): the "
    "test makes every thread compute the same key at once behind a Barrier, which one "
    "computation per key never lets happen"
)
ATTRS = (
    "API not offered: the cachetools wrapper attributes cache, cache_key, cache_lock and "
    "cache_condition (the library owns its stores and locks)"
)
REPR = "API not offered: cachetools' repr of its wrapper objects (ours is the function's own)"
CALLER_CACHE = (
    "API not offered: a cache object chosen by the caller (cache=None, objects that are not "
    "caches); cached_function builds its own store from max_size and policy"
)
SIZEOF = (
    "API not offered: caller-supplied caches whose getsizeof makes a value too large to "
    "store (the library's stores count entries)"
)
RR_CHOICE = "API not offered: rr_cache(choice=...) (policy='rr' uses cachetools' default choice)"
CACHEDMETHOD = (
    "API not offered: cachedmethod's descriptor object (a cache getter per instance, "
    "__set_name__ checks, class attributes, pickling/copying the descriptor, a per-instance "
    "cache_info with that cache's maxsize); a cached method's caches are the library's own, "
    "one per instance, and cache_info() counts them together (" + _DIFF + ")"
)

# Deliberate differences (README.md, Differences from functools/cachetools) -----------------------
SINGLE_FLIGHT = (
    "deliberate (" + _DIFF + "): single-flight; concurrent calls of one key wait for one "
    "computation, where lru_cache computes in every thread (the test needs 5 threads inside "
    "the function at once)"
)
UNHASHABLE = (
    "deliberate (" + _DIFF + "): unhashable arguments with a canonical encoding (lists, dicts) "
    "are cached under that encoding instead of raising TypeError"
)
KWARGS_ORDER = (
    "deliberate (" + _DIFF + "): keyword order is not part of the key; f(a=1, b=2) and "
    "f(b=2, a=1) are one entry (lru_cache keeps two)"
)
KWKEY = (
    "deliberate (" + _DIFF + "): a keyword call is keyed with the library's keyword marker, "
    "not cachetools.keys.hashkey's, so hashkey(self=1) is not found in the store"
)
METHOD_PER_INSTANCE = (
    "deliberate (" + _DIFF + "): a function defined in a class body is cached per instance; "
    "cachetools' cached() on a method shares one cache keyed by key(self, ...)"
)
SLOTS = (
    "deliberate (" + _DIFF + "): instances without __dict__/__weakref__ (slots) are cached "
    "(keyed by the instance) instead of raising TypeError"
)
PARTIAL = (
    "deliberate: the wrapper of a functools.partial is a function and has a __qualname__ "
    "(cachetools returns a wrapper object without one)"
)

SKIPS: dict[str, dict[str, str]] = {
    "lazy_loader": {
        "test_lazy_import_subpackages": (
            "asserts isinstance(proxy, importlib.util._LazyModule), an importlib-internal class: "
            "lazy_import returns its own LazyModule (a types.ModuleType) that becomes a plain "
            "module on first use"
        ),
    },
    "cpython-functools": {
        "test_functools.py::TestLRU::test_common_signatures": (
            "deliberate (Python 3.12+ suite): cache_info() and cache_clear() carry return "
            "annotations (-> CacheInfo, -> None) for the typed CachedFunction API, where the test "
            "expects bare '()' signatures"
        ),
        "test_functools.py::TestLRU::test_kwargs_order": KWARGS_ORDER,
        "test_functools.py::TestLRU::test_lru_cache_threaded2": SINGLE_FLIGHT,
        "test_functools.py::TestLRU::test_lru_type_error": UNHASHABLE,
    },
    "cachetools": {
        "test_cached.py::CacheWrapperTest::test_decorator_attributes": ATTRS,
        "test_cached.py::CacheWrapperTest::test_decorator_attributes_cond": LOCK,
        "test_cached.py::CacheWrapperTest::test_decorator_attributes_lock": LOCK,
        "test_cached.py::CacheWrapperTest::test_decorator_clear_cond": LOCK,
        "test_cached.py::CacheWrapperTest::test_decorator_clear_lock": LOCK,
        "test_cached.py::CacheWrapperTest::test_decorator_cond": LOCK,
        "test_cached.py::CacheWrapperTest::test_decorator_cond_error": LOCK,
        "test_cached.py::CacheWrapperTest::test_decorator_cond_error_info": LOCK,
        "test_cached.py::CacheWrapperTest::test_decorator_cond_info": LOCK,
        "test_cached.py::CacheWrapperTest::test_decorator_lock": LOCK,
        "test_cached.py::CacheWrapperTest::test_decorator_lock_cond": LOCK,
        "test_cached.py::CacheWrapperTest::test_decorator_lock_cond_info": LOCK,
        "test_cached.py::CacheWrapperTest::test_decorator_lock_info": LOCK,
        "test_cached.py::CacheWrapperTest::test_decorator_method": METHOD_PER_INSTANCE,
        "test_cached.py::CacheWrapperTest::test_decorator_repr": REPR,
        "test_cached.py::CacheWrapperTest::test_self_keyword": KWKEY,
        "test_cached.py::CacheWrapperTest::test_stacked_decorators": ATTRS,
        "test_cached.py::CacheWrapperTest::test_zero_size_cache_decorator_cond": LOCK,
        "test_cached.py::CacheWrapperTest::test_zero_size_cache_decorator_cond_info": LOCK,
        "test_cached.py::CacheWrapperTest::test_zero_size_cache_decorator_lock": LOCK,
        "test_cached.py::CacheWrapperTest::test_zero_size_cache_decorator_lock_info": LOCK,
        "test_cached.py::CustomCacheTest::test_decorator_attributes": ATTRS,
        "test_cached.py::CustomCacheTest::test_decorator_attributes_cond": LOCK,
        "test_cached.py::CustomCacheTest::test_decorator_attributes_lock": LOCK,
        "test_cached.py::CustomCacheTest::test_decorator_clear_cond": LOCK,
        "test_cached.py::CustomCacheTest::test_decorator_clear_lock": LOCK,
        "test_cached.py::CustomCacheTest::test_decorator_cond": LOCK,
        "test_cached.py::CustomCacheTest::test_decorator_cond_error": LOCK,
        "test_cached.py::CustomCacheTest::test_decorator_cond_error_info": LOCK,
        "test_cached.py::CustomCacheTest::test_decorator_lock": LOCK,
        "test_cached.py::CustomCacheTest::test_decorator_lock_cond": LOCK,
        "test_cached.py::CustomCacheTest::test_decorator_repr": REPR,
        "test_cached.py::DictTest::test_decorator_attributes": ATTRS,
        "test_cached.py::DictTest::test_decorator_attributes_cond": LOCK,
        "test_cached.py::DictTest::test_decorator_attributes_lock": LOCK,
        "test_cached.py::DictTest::test_decorator_clear_cond": LOCK,
        "test_cached.py::DictTest::test_decorator_clear_lock": LOCK,
        "test_cached.py::DictTest::test_decorator_cond": LOCK,
        "test_cached.py::DictTest::test_decorator_cond_error": LOCK,
        "test_cached.py::DictTest::test_decorator_cond_error_info": LOCK,
        "test_cached.py::DictTest::test_decorator_lock": LOCK,
        "test_cached.py::DictTest::test_decorator_lock_cond": LOCK,
        "test_cached.py::DictTest::test_decorator_repr": REPR,
        "test_cached.py::InvalidCacheTest::test_decorator": CALLER_CACHE,
        "test_cached.py::InvalidCacheTest::test_decorator_info": CALLER_CACHE,
        "test_cached.py::InvalidCacheTest::test_decorator_info_no_len": CALLER_CACHE,
        "test_cached.py::PickleTest::test_copy_partial": PARTIAL,
        "test_cachedmethod.py::CacheMethodTest::test_cond_nospace": SIZEOF,
        "test_cachedmethod.py::CacheMethodTest::test_decorated_override": CACHEDMETHOD,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_attributes": ATTRS,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_cond": LOCK,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_cond_clear": LOCK,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_cond_error": LOCK,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_cond_error_info": LOCK,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_cond_info": LOCK,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_deepcopy_super": CACHEDMETHOD,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_different_names": CACHEDMETHOD,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_immutable_dict": CACHEDMETHOD,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_info": CACHEDMETHOD,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_lock": LOCK,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_lock_clear": LOCK,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_lock_cond_info": LOCK,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_lock_info": LOCK,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_no_set_name": CACHEDMETHOD,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_pickle": CACHEDMETHOD,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_pickle_aliased": CACHEDMETHOD,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_pickle_info": CACHEDMETHOD,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_pickle_super": CACHEDMETHOD,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_repr": REPR,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_slots": SLOTS,
        "test_cachedmethod.py::CacheMethodTest::test_decorator_wrapper_error": CACHEDMETHOD,
        "test_cachedmethod.py::CacheMethodTest::test_lock_nospace": SIZEOF,
        "test_cachedmethod.py::CacheMethodTest::test_multilevel_override": CACHEDMETHOD,
        "test_cachedmethod.py::CacheMethodTest::test_nospace": SIZEOF,
        "test_cachedmethod.py::CacheMethodTest::test_self_keyword": KWKEY,
        "test_cachedmethod.py::CacheMethodTest::test_shared_cache": CACHEDMETHOD,
        "test_cachedmethod.py::CacheMethodTest::test_undecorated_override": CACHEDMETHOD,
        "test_cachedmethod.py::CacheMethodTest::test_value_too_large": SIZEOF,
        "test_cachedmethod.py::ClassMethodTest::test_classmethod": CACHEDMETHOD,
        "test_cachedmethod.py::ClassMethodTest::test_outer_decorator": CACHEDMETHOD,
        "test_cachedmethod.py::DictMethodTest::test_decorator_attributes": ATTRS,
        "test_cachedmethod.py::DictMethodTest::test_decorator_cond": LOCK,
        "test_cachedmethod.py::DictMethodTest::test_decorator_cond_clear": LOCK,
        "test_cachedmethod.py::DictMethodTest::test_decorator_cond_error": LOCK,
        "test_cachedmethod.py::DictMethodTest::test_decorator_cond_error_info": LOCK,
        "test_cachedmethod.py::DictMethodTest::test_decorator_cond_info": LOCK,
        "test_cachedmethod.py::DictMethodTest::test_decorator_deepcopy_super": CACHEDMETHOD,
        "test_cachedmethod.py::DictMethodTest::test_decorator_different_names": CACHEDMETHOD,
        "test_cachedmethod.py::DictMethodTest::test_decorator_immutable_dict": CACHEDMETHOD,
        "test_cachedmethod.py::DictMethodTest::test_decorator_info": CACHEDMETHOD,
        "test_cachedmethod.py::DictMethodTest::test_decorator_lock": LOCK,
        "test_cachedmethod.py::DictMethodTest::test_decorator_lock_clear": LOCK,
        "test_cachedmethod.py::DictMethodTest::test_decorator_lock_cond_info": LOCK,
        "test_cachedmethod.py::DictMethodTest::test_decorator_lock_info": LOCK,
        "test_cachedmethod.py::DictMethodTest::test_decorator_no_set_name": CACHEDMETHOD,
        "test_cachedmethod.py::DictMethodTest::test_decorator_pickle": CACHEDMETHOD,
        "test_cachedmethod.py::DictMethodTest::test_decorator_pickle_aliased": CACHEDMETHOD,
        "test_cachedmethod.py::DictMethodTest::test_decorator_pickle_info": CACHEDMETHOD,
        "test_cachedmethod.py::DictMethodTest::test_decorator_pickle_super": CACHEDMETHOD,
        "test_cachedmethod.py::DictMethodTest::test_decorator_repr": REPR,
        "test_cachedmethod.py::DictMethodTest::test_decorator_slots": SLOTS,
        "test_cachedmethod.py::DictMethodTest::test_decorator_wrapper_error": CACHEDMETHOD,
        "test_cachedmethod.py::NoneMethodTest::test_decorator": CALLER_CACHE,
        "test_cachedmethod.py::NoneMethodTest::test_none_info": CALLER_CACHE,
        "test_cachedmethod.py::UnboundMethodTest::test_class_access_alias": CACHEDMETHOD,
        "test_cachedmethod.py::UnboundMethodTest::test_class_call": CACHEDMETHOD,
        "test_cachedmethod.py::UnboundMethodTest::test_class_call_info": CACHEDMETHOD,
        "test_cachedmethod.py::UnboundMethodTest::test_class_call_keyword_receiver": CACHEDMETHOD,
        "test_cachedmethod.py::UnboundMethodTest::test_class_call_without_instance": CACHEDMETHOD,
        "test_func.py::RRDecoratorTest::test_rr_choice": RR_CHOICE,
        "test_threading.py::ThreadingTest::test_cached_cond": LOCK_THREADS,
        "test_threading.py::ThreadingTest::test_cached_cond_recursive_error": LOCK_THREADS,
        "test_threading.py::ThreadingTest::test_cached_lock": LOCK_THREADS,
        "test_threading.py::ThreadingTest::test_cached_lock_cond": LOCK_THREADS,
        "test_threading.py::ThreadingTest::test_cached_unrelated_lock_cond": LOCK_THREADS,
        "test_threading.py::ThreadingTest::test_cachedmethod_cond": LOCK_THREADS,
        "test_threading.py::ThreadingTest::test_cachedmethod_cond_recursive_error": LOCK_THREADS,
        "test_threading.py::ThreadingTest::test_cachedmethod_lock": LOCK_THREADS,
        "test_threading.py::ThreadingTest::test_cachedmethod_lock_cond": LOCK_THREADS,
        "test_threading.py::ThreadingTest::test_cachedmethod_unrelated_lock_cond": LOCK_THREADS,
    },
}
