import importlib
import time

from django.apps import apps
from django.core.management.base import BaseCommand
from django.utils import timezone

from steward.jobs.registry import enqueue_due, registered_jobs


class Command(BaseCommand):
    help = "Enqueue periodic jobs when their slot comes round (run one or many; each slot runs once)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=30.0, help="Seconds between checks.")
        parser.add_argument("--once", action="store_true", help="Check once and exit.")

    def handle(self, *args, interval, once, **options):
        for config in apps.get_app_configs():
            if config.name.startswith("steward."):
                try:
                    importlib.import_module(f"{config.name}.tasks")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.tasks":
                        raise
        self.stdout.write(f"Scheduler: {', '.join(j.name for j in registered_jobs()) or 'no jobs'}")
        while True:
            for name in enqueue_due(timezone.now()):
                self.stdout.write(f"{timezone.now():%Y-%m-%d %H:%M:%S} enqueued {name}")
            if once:
                return
            time.sleep(interval)
