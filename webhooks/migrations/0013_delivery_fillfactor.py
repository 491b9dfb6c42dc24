"""Half of each new page of the deliveries table left free, so that a claim's lease is a HOT
update: written to the heap only, none of the table's twelve indexes.

A claim sets `locked_until` alone, which no index holds; with full pages PostgreSQL could put
the new version of the row nowhere but another page, and then inserted it into every index
whose predicate it matches (ten of the twelve for a pending delivery). The claims of one lane
take consecutive rows, a whole page at once, so a page needs room for a second version of each
of its rows: 50. bench/deliveries.py: 1,822 and 1,803 deliveries/s at 100, 3,191 and 2,520 at
45, alternated on a loaded machine. The table's heap is about 6% of what a delivery stores (its
indexes, its event and its attempts are the rest: 3.3 of 58 MB there), so doubling it is cheap.
"""

from django.db import migrations

from omniflow.migration_operations import SetFillfactor


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0012_health_held_index"),
    ]

    operations = [
        SetFillfactor(model_name="webhookdelivery", fillfactor=50),
    ]
