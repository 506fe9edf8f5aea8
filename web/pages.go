package web

import (
	"context"
	"net/url"
	"strconv"

	"github.com/grisaille/grisaille/components"
	"github.com/grisaille/grisaille/web/i18n"
)

// span is the rows [lo, hi) of one page of a list.
type span struct{ lo, hi int }

// paginate picks the page a list shows from the query parameter param (from
// 1; anything else is the first page, past the end the last) and returns its
// rows and the data table's pagination controls, whose links keep the rest
// of the query.
func paginate(ctx context.Context, u *url.URL, param string, total, size int) (span, components.Pagination) {
	pages := max(1, (total+size-1)/size)
	page, err := strconv.Atoi(u.Query().Get(param))
	if err != nil || page < 1 {
		page = 1
	}
	page = min(page, pages)
	link := func(n int) string {
		q := u.Query()
		q.Set(param, strconv.Itoa(n))
		return u.Path + "?" + q.Encode()
	}
	p := components.Pagination{Page: page, Pages: pages,
		Label:     i18n.T(ctx, "pager.label", map[string]any{"Page": page, "Pages": pages}),
		PrevLabel: i18n.T(ctx, "pager.prev"), NextLabel: i18n.T(ctx, "pager.next")}
	if page > 1 {
		p.PrevURL = link(page - 1)
	}
	if page < pages {
		p.NextURL = link(page + 1)
	}
	return span{lo: min(total, (page-1)*size), hi: min(total, page*size)}, p
}
