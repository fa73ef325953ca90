from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "vigil.server.followups"
    label = "followups"
    verbose_name = "Follow-ups"
