"""The organisation import's upload form: a readable CSV file within the size limit."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from perfcycle.org_import import parsing


class OrgImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "A .csv file saved as UTF-8, comma or semicolon separated, with a header row; "
            "at most %(limit)s MB."
        ) % {"limit": parsing.MAX_UPLOAD_BYTES // 1024 // 1024}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > parsing.MAX_UPLOAD_BYTES:
            raise ValidationError(
                _("The file is too large (%(size)s MB); the limit is %(limit)s MB.")
                % {
                    "size": round(upload.size / 1024 / 1024, 1),
                    "limit": parsing.MAX_UPLOAD_BYTES // 1024 // 1024,
                }
            )
        if not upload.name.lower().endswith(".csv"):
            raise ValidationError(_("Upload a .csv file."))
        try:
            self.content = parsing.decode_upload(upload.read())
            parsing.parse_csv(self.content)
        except parsing.CsvFormatError as error:
            raise ValidationError(error.message) from error
        return upload
