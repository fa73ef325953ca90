from django.urls import path

from vigil.server.web import otp, views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("login/2fa/", otp.verify, name="otp-verify"),
    path("account/2fa/", otp.setup, name="otp-setup"),
    path("cases/", views.case_list, name="case-list"),
    path("cases/new/", views.case_new, name="case-new"),
    path("cases/<int:pk>/", views.case_detail, name="case-detail"),
    path("cases/<int:pk>/person/", views.person_edit, name="person-edit"),
    path("cases/<int:pk>/stages/", views.stage_add, name="stage-add"),
    path("cases/<int:pk>/consents/", views.consent_page, name="consent"),
    path("cases/<int:pk>/screenings/", views.screening_start, name="screening-start"),
    path("screenings/<int:pk>/", views.screening_page, name="screening"),
    path("cases/<int:pk>/referrals/", views.referral_create, name="referral-create"),
    path("referrals/", views.referral_inbox, name="referral-inbox"),
    path("referrals/<int:pk>/revoke/", views.referral_revoke, name="referral-revoke"),
    path("referrals/<int:pk>/<str:action>/", views.referral_decide, name="referral-decide"),
    path("cases/<int:pk>/followups/", views.followup_add, name="followup-add"),
    path("followups/", views.followup_worklist, name="followup-worklist"),
    path("followups/<int:pk>/done/", views.followup_done, name="followup-done"),
    path("statistics/", views.statistics_page, name="statistics"),
    path("statistics/cases.csv", views.statistics_csv, name="statistics-csv"),
    path("consents/<int:pk>/withdraw/", views.consent_withdraw, name="consent-withdraw"),
]
