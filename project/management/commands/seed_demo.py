from django.core.management.base import BaseCommand

from project.demo import DEMO_PASSWORD, demo_logins, load_demo, price_demo


class Command(BaseCommand):
    help = "Load the demo network and people once, then print the demo logins."

    def handle(self, *args, **options):
        if load_demo():
            self.stdout.write(self.style.SUCCESS("演示数据已载入 / demo data loaded"))
            for run in price_demo():
                self.stdout.write(f"  考核计分 / priced: {run.ruleset.name} {run.first_month:%Y-%m} "
                                  f"(+{run.added} −{run.superseded})")
        else:
            self.stdout.write("演示数据已存在，保持不变 / demo data already present, left as it is")
        self.stdout.write(f"\n演示账号 / demo logins (密码 password: {DEMO_PASSWORD})")
        for login in demo_logins():
            self.stdout.write(f"  {login.username:<16} {login.roles}")
