from django.urls import path

from indexing.api import views

urlpatterns = [
    path("search/", views.SearchView.as_view(), name="api-search"),
]
