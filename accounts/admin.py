from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import Staff

admin.site.register(Staff, UserAdmin)
