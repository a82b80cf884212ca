"""Portal URLs of the catalog app (a store's Products tab, mapping, bulk operations), mounted under the `portal`
namespace with the other apps' portal patterns (printconnect/urls.py).

Every pattern here must be listed in tests/access/test_matrix.py.
"""

urlpatterns: list = []
