"""Forms of the web shell (sign-in, TOTP, citizen phone sign-in, personal-data reveal)."""

from __future__ import annotations

from django import forms


class StaffLoginForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    password = forms.CharField(label="密码", widget=forms.PasswordInput)


class TotpForm(forms.Form):
    code = forms.CharField(label="动态验证码", max_length=8, widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                                                     "autocomplete": "one-time-code"}))


class PhoneForm(forms.Form):
    phone = forms.CharField(label="手机号", max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel",
                                                                                   "autocomplete": "tel"}))


class PhoneCodeForm(PhoneForm):
    code = forms.CharField(label="验证码", max_length=8, widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                                                "autocomplete": "one-time-code"}))


class RevealForm(forms.Form):
    reason = forms.CharField(label="查看事由", min_length=2, max_length=200)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label="原密码", widget=forms.PasswordInput)
    new_password = forms.CharField(label="新密码", widget=forms.PasswordInput,
                                   help_text="至少10位，包含大写字母、小写字母、数字、符号中的至少3类。")
