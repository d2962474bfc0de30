from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.models import Group, User

from .models import ApiToken
from .roles import ANNOTATOR, ROLES, assign_role, role_of


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at"]
    list_filter = ["user"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        # A key is shown once at creation; the admin cannot show it, so tokens are issued by the command.
        return False


class RoleUserCreationForm(AdminUserCreationForm):
    """The admin's new-user form, with the role the user starts with."""

    role = forms.ChoiceField(
        choices=[(role, role.capitalize()) for role in ROLES] + [("", "No role")], initial=ANNOTATOR, required=False,
        help_text="Annotators make and fix their own masks and findings; reviewers also accept and correct anyone's; "
                  "managers also import, export, train and manage users (and use this admin).",
    )


admin.site.unregister(User)


@admin.register(User)
class RoleUserAdmin(UserAdmin):
    """Users with their role; a manager (staff, not superuser) manages users without making admins."""

    add_form = RoleUserCreationForm
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "role", "usable_password", "password1", "password2")}),
    )
    list_display = (*UserAdmin.list_display, "role")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="role")
    def role(self, user) -> str:
        return role_of(user) or "—"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            assign_role(user=obj, role=form.cleaned_data.get("role") or None)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if request.user.is_superuser:
            return fields
        return (*fields, "is_superuser", "user_permissions")  # roles only: no admins, no one-off permissions

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = Group.objects.filter(name__in=ROLES)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)
