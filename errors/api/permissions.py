from rest_framework.permissions import BasePermission


class CanResolveAppErrors(BasePermission):
    """Reading is for staff; changing an error's resolution takes the model's change
    permission, as in the admin."""

    message = "You do not have permission to resolve errors."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_staff and user.has_perm("errors.change_apperror"))
