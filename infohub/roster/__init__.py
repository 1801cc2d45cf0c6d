"""The roster workbook (SPEC §10, administrator): the unit tree, the people and their roles of a whole province,
loaded from and exported to one Excel workbook with three sheets — 单位, 人员, 角色.

* `layout`: the sheets and their columns, reading a workbook into rows, writing one (export, template).
* `plan`: what a workbook would change — every row checked (errors per row, in the reader's language) and compared
  with the database (new / changed / unchanged / deactivated or deleted); the preview shows it.
* `apply`: the plan written in one transaction, all or nothing, with the tree's paths and the caches that depend
  on units and names brought up to date (the service).
* `export`: the database as a workbook of the same shape; importing it changes nothing.

The admin door is django-import-export's import view (infohub.admin): its upload, preview and confirm steps, fed
by this package's bulk path instead of its row-by-row resources (README: "Loading the roster").
"""
