from django.urls import path

from backend.documents.api import views

urlpatterns = [
    path("documents/", views.DocumentListCreateView.as_view(), name="api-document-list"),
    path("documents/<int:document_id>/", views.DocumentDetailView.as_view(), name="api-document-detail"),
    path("documents/<int:document_id>/download/", views.ValidVersionDownloadView.as_view(),
         name="api-document-download"),
    path("documents/<int:document_id>/versions/", views.VersionListCreateView.as_view(), name="api-version-list"),
    path("documents/<int:document_id>/versions/<int:number>/", views.VersionDetailView.as_view(),
         name="api-version-detail"),
    path("documents/<int:document_id>/versions/<int:number>/download/", views.VersionDownloadView.as_view(),
         name="api-version-download"),
    path("documents/<int:document_id>/versions/<int:number>/approve/", views.VersionApproveView.as_view(),
         name="api-version-approve"),
    path("documents/<int:document_id>/versions/<int:number>/restore/", views.VersionRestoreView.as_view(),
         name="api-version-restore"),
    path("documents/<int:document_id>/checkout/", views.CheckoutView.as_view(), name="api-document-checkout"),
    path("documents/<int:document_id>/checkin/", views.CheckinView.as_view(), name="api-document-checkin"),
    path("documents/<int:document_id>/break-lock/", views.LockBreakView.as_view(), name="api-document-break-lock"),
    path("documents/<int:document_id>/access/", views.AccessView.as_view(), name="api-document-access"),
    path("documents/<int:document_id>/permissions/", views.GrantView.as_view(), name="api-document-grant"),
    path("documents/<int:document_id>/permissions/revoke/", views.RevokeView.as_view(),
         name="api-document-revoke"),
]
