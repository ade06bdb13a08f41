"""Order by a selection's own order (the workflow), not by the spelling of its codes: lists,
groups, pivot headers and graph legends then read draft, locked, ..., issued."""

from odoo import models
from odoo.tools import SQL


def rank_sql(expression, keys):
    """SQL ranking ``expression`` (a selection column) by its position in ``keys``."""
    return SQL("array_position(%s::text[], (%s)::text)", list(keys), expression)


class HocbasoSelectionOrder(models.AbstractModel):
    """A model inheriting this lists in ``_selection_order`` the selection fields to sort by
    their selection's order, in searches and in grouped reads."""

    _name = "hocbaso.selection.order.mixin"
    _description = "Sorted by Selection Order"

    _selection_order = ()  # names of selection fields

    def _selection_keys(self, name):
        return [key for key, _label in self._fields[name]._description_selection(self.env)]

    def _order_field_to_sql(self, alias, field_name, direction, nulls, query):
        if field_name in self._selection_order:
            column = self._field_to_sql(alias, field_name, query)
            return SQL("%s %s %s", rank_sql(column, self._selection_keys(field_name)),
                       direction, nulls)
        return super()._order_field_to_sql(alias, field_name, direction, nulls, query)

    def _read_group_orderby(self, order, groupby_terms, query):
        ranked = dict(groupby_terms)
        for name in self._selection_order:
            if name in ranked:
                ranked[name] = rank_sql(ranked[name], self._selection_keys(name))
        return super()._read_group_orderby(order, ranked, query)
