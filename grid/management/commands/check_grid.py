from django.core.management.base import BaseCommand, CommandError

from grid.topology import check_grid


class Command(BaseCommand):
    help = "Report the topology of the current grid per level; exit 1 if a level fails the thresholds."

    def add_arguments(self, parser):
        parser.add_argument("--inside", type=float, default=0.999, help="minimum share of children inside parent")
        parser.add_argument("--overlap", type=float, default=0.001, help="maximum sibling overlap share")
        parser.add_argument("--cover", type=float, default=0.999, help="minimum share of parent covered")

    def handle(self, *args, inside, overlap, cover, **options):
        failed = []
        self.stdout.write(f"{'level':<10} {'areas':>6} {'inside':>9} {'overlap':>9} {'cover':>9} invalid orphans")
        for r in check_grid():
            ok = r.passes(inside=inside, overlap=overlap, cover=cover)
            line = (
                f"{r.level:<10} {r.areas:>6} {r.inside_ratio:>9.4%} {r.overlap_ratio:>9.4%} "
                f"{r.cover_ratio:>9.4%} {len(r.invalid):>7} {len(r.orphans):>7}  {'ok' if ok else 'FAIL'}"
            )
            self.stdout.write(self.style.SUCCESS(line) if ok else self.style.ERROR(line))
            if not ok:
                failed.append(r.level)
                for code in r.invalid[:10]:
                    self.stdout.write(f"    invalid geometry: {code}")
                for code in r.orphans[:10]:
                    self.stdout.write(f"    no parent: {code}")
                for code, ratio in r.worst_inside[:3]:
                    self.stdout.write(f"    least inside its parent: {code} {ratio:.4%}")
                for code, ratio in r.worst_cover[:3]:
                    self.stdout.write(f"    least covered parent: {code} {ratio:.4%}")
        if failed:
            raise CommandError(f"topology check failed for: {', '.join(failed)}")
