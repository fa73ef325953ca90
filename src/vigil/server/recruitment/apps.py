from django.apps import AppConfig


class RecruitmentConfig(AppConfig):
    name = "vigil.server.recruitment"
    label = "recruitment"
    verbose_name = "Recruitment agencies"
