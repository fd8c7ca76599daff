"""Forms of the web shell (sign-in, TOTP, citizen phone sign-in, personal-data reveal, API tokens)."""

from __future__ import annotations

from django import forms

from xiangzhi.core.enums import TOKEN_ACCESS, TOKEN_APPS, TOKEN_SCOPES


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


class ApiTokenForm(forms.Form):
    """Issue an API token to an account of the administrator's county (``users``)."""

    name = forms.CharField(label="名称（接入单位和用途）", max_length=100,
                           widget=forms.TextInput(attrs={"placeholder": "如：农商银行 e法贷接口"}))
    user = forms.ModelChoiceField(label="使用哪个账号的权限", queryset=None, empty_label="请选择账号")
    scopes = forms.MultipleChoiceField(
        label="权限范围", widget=forms.CheckboxSelectMultiple,
        choices=[(s, f"{TOKEN_APPS[s.split(':')[0]]} · {TOKEN_ACCESS[s.split(':')[1]]}（{s}）") for s in TOKEN_SCOPES],
        help_text="读写包含同一应用的只读；令牌的权限不会超出所选账号本身的权限。")
    expires_days = forms.IntegerField(label="有效期（天）", min_value=1, max_value=3650, initial=365)

    def __init__(self, *args, users, **kwargs) -> None:  # noqa: ANN001, ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
        self.fields["user"].label_from_instance = lambda u: f"{u.display_name or u.username}（{u.username}）"
