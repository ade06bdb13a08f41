"""The client action that downloads a file a wizard has just written into one of its fields."""


def download_action(record, field_name, filename_field):
    return {
        "type": "ir.actions.act_url", "target": "self",
        "url": f"/web/content?model={record._name}&id={record.id}&field={field_name}"
               f"&filename_field={filename_field}&download=true",
    }
