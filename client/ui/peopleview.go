package ui

import (
	"context"
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/vaihde/vaihde/assets"
	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/shared/api"
)

// starIcon marks VIP contacts (Material "star").
var starIcon = fyne.NewStaticResource("star.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill="#000000" d="M12 17.27 18.18 21l-1.64-7.03L22 9.24l-7.19-.61L12 2 9.19 8.63 2 9.24l5.46 4.73L5.82 21z"/></svg>`))

// peopleTimeout bounds one request of the people model started from the UI.
const peopleTimeout = 15 * time.Second

// itemBox is a list row that carries its parts so the list's update function can reach them.
type itemBox struct {
	widget.BaseWidget
	content fyne.CanvasObject
	parts   any
}

func newItemBox(content fyne.CanvasObject, parts any) *itemBox {
	b := &itemBox{content: content, parts: parts}
	b.ExtendBaseWidget(b)
	return b
}

func (b *itemBox) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(b.content) }

func iconButton(res fyne.Resource, tapped func()) *widget.Button {
	b := widget.NewButtonWithIcon("", res, tapped)
	b.Importance = widget.LowImportance
	return b
}

// setDimmed sets a label's text and importance (low when the entry is dimmed) with one
// refresh: shaping text is most of a list row's cost.
func setDimmed(l *widget.Label, text string, dim bool) {
	imp := widget.MediumImportance
	if dim {
		imp = widget.LowImportance
	}
	if l.Text == text && l.Importance == imp {
		return
	}
	l.Importance = imp
	l.SetText(text)
}

// ---- Colleagues ---------------------------------------------------------------------------

// colleaguesView is the Colleagues tab: the company directory with search as you type.
type colleaguesView struct {
	u      *UI
	root   fyne.CanvasObject
	search *widget.Entry
	list   *widget.List
	empty  *widget.Label
	// cols are the colleagues shown; rows are rendered from them only when visible, so a
	// keystroke over 10,000 colleagues costs the filter and a list refresh, nothing more.
	cols  []people.Colleague
	query string
}

type colleagueParts struct {
	dot        *canvas.Circle
	name       *widget.Label
	activity   *widget.Label
	note       *widget.Label
	phone      *widget.Label
	call, chat *widget.Button
	sms        *widget.Button
	line       *fyne.Container // activity and phone state
}

func newColleaguesView(u *UI) *colleaguesView {
	v := &colleaguesView{u: u}
	v.search = widget.NewEntry()
	v.search.SetPlaceHolder(u.tr.T(KSearchHint))
	v.search.ActionItem = widget.NewIcon(theme.SearchIcon())
	v.search.OnChanged = func(q string) {
		u.activity()
		v.query = q
		v.refresh()
	}
	v.empty = widget.NewLabel("")
	v.empty.Alignment = fyne.TextAlignCenter
	v.empty.Importance = widget.LowImportance
	v.empty.Wrapping = fyne.TextWrapWord
	v.list = widget.NewList(func() int { return len(v.cols) }, v.newRow, v.updateRow)
	v.list.OnSelected = func(widget.ListItemID) { v.list.UnselectAll() }
	v.root = container.NewBorder(container.NewPadded(v.search), nil, nil, nil, container.NewStack(v.list, v.empty))
	return v
}

func (v *colleaguesView) newRow() fyne.CanvasObject {
	p := &colleagueParts{
		name:     widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		activity: widget.NewLabel(""),
		note:     widget.NewLabel(""),
		phone:    widget.NewLabel(""),
		call:     iconButton(themed(assets.Call), nil),
		chat:     iconButton(theme.MailComposeIcon(), nil),
		sms:      iconButton(theme.MailSendIcon(), nil),
	}
	var dotBox fyne.CanvasObject
	p.dot, dotBox = newDot(12)
	for _, l := range []*widget.Label{p.name, p.activity, p.note} {
		l.Truncation = fyne.TextTruncateEllipsis
	}
	p.activity.SizeName = theme.SizeNameCaptionText
	p.note.SizeName = theme.SizeNameCaptionText
	p.note.TextStyle = fyne.TextStyle{Italic: true}
	p.phone.SizeName = theme.SizeNameCaptionText
	p.phone.Importance = widget.WarningImportance
	p.phone.TextStyle = fyne.TextStyle{Bold: true}
	p.line = container.NewBorder(nil, nil, nil, p.phone, p.activity)
	info := container.NewVBox(p.name, p.line, p.note)
	actions := container.NewHBox(p.call, p.chat, p.sms)
	return newItemBox(container.NewBorder(nil, nil, dotBox, container.NewCenter(actions), info), p)
}

// row renders the id-th colleague shown.
func (v *colleaguesView) row(id int) ColleagueRow {
	u := v.u
	return ColleagueRowOf(v.cols[id], u.model.Snapshot().Profile.Extension, u.peopleSnap.Activities, u.tr, u.now())
}

func (v *colleaguesView) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id < 0 || id >= len(v.cols) {
		return
	}
	r := v.row(id)
	p := o.(*itemBox).parts.(*colleagueParts)
	tr := v.u.tr
	pv := r.Presence
	p.dot.FillColor = presenceColor(pv.Green, pv.Known, pv.Dim())
	p.dot.Refresh()
	name := r.Name
	if r.Me {
		name = tr.F(KMe, name)
	}
	if r.Extension != "" {
		name += " · " + r.Extension
	}
	setDimmed(p.name, name, pv.Dim())
	act := pv.Line()
	switch {
	case pv.Offline:
		act += " · " + tr.T(KOffline)
	case pv.Idle:
		act += " · " + tr.T(KIdleText)
	}
	setDimmed(p.activity, act, pv.Dim())
	setDimmed(p.note, firstNonEmpty(pv.Note, r.Detail), false)
	if p.phone.Text != pv.Phone {
		p.phone.SetText(pv.Phone)
		p.line.Refresh() // lay out again: the phone state's width changed
	}
	ext, mobile, name0 := r.Extension, r.Mobile, r.Name
	p.call.OnTapped = func() { v.u.callNumber(ext) }
	p.chat.OnTapped = func() { v.u.openChat(ext) }
	p.sms.OnTapped = func() { v.u.openSMS(mobile, name0) }
	setEnabled(p.call, r.CanCall)
	setEnabled(p.chat, r.CanChat)
	if r.CanSMS {
		p.sms.Show()
	} else {
		p.sms.Hide()
	}
}

// refresh filters the directory for the current query; the filter step runs synchronously per
// keystroke (people.Model.Filter is fast) and only the visible rows are drawn.
func (v *colleaguesView) refresh() {
	u := v.u
	s := u.peopleSnap
	var cs []people.Colleague
	if strings.TrimSpace(v.query) == "" {
		cs = s.Colleagues
	} else {
		cs = u.o.People.Filter(v.query)
	}
	v.cols = cs
	switch {
	case len(cs) > 0:
		v.empty.Hide()
	case !s.Loaded:
		v.empty.SetText(firstNonEmpty(s.Error, u.tr.T(KLoadingPeople)))
		v.empty.Show()
	case strings.TrimSpace(v.query) != "":
		v.empty.SetText(u.tr.F(KNoMatches, v.query))
		v.empty.Show()
	default:
		v.empty.SetText(u.tr.T(KNoColleagues))
		v.empty.Show()
	}
	v.list.Refresh()
}

// ---- Contacts -----------------------------------------------------------------------------

// contactsView is the Contacts tab: favourites, personal internal and external contacts and
// the organisation's contacts, with add, edit and delete.
type contactsView struct {
	u     *UI
	root  fyne.CanvasObject
	list  *widget.List
	empty *widget.Label
	items []ContactItem
}

type contactParts struct {
	header *widget.Label
	star   *widget.Icon
	name   *widget.Label
	detail *widget.Label
	call   *widget.Button
	sms    *widget.Button
	edit   *widget.Button
	del    *widget.Button
	row    *fyne.Container
}

func newContactsView(u *UI) *contactsView {
	v := &contactsView{u: u}
	v.empty = widget.NewLabel(u.tr.T(KNoContacts))
	v.empty.Alignment = fyne.TextAlignCenter
	v.empty.Importance = widget.LowImportance
	v.empty.Wrapping = fyne.TextWrapWord
	v.list = widget.NewList(func() int { return len(v.items) }, v.newRow, v.updateRow)
	v.list.OnSelected = func(widget.ListItemID) { v.list.UnselectAll() }
	addColleague := widget.NewButtonWithIcon(u.tr.T(KAddColleague), theme.ContentAddIcon(), func() { u.editContact(api.Contact{}, true) })
	addContact := widget.NewButtonWithIcon(u.tr.T(KAddContact), theme.ContentAddIcon(), func() { u.editContact(api.Contact{}, false) })
	v.root = container.NewBorder(nil, container.NewPadded(container.NewGridWithColumns(2, addColleague, addContact)), nil, nil,
		container.NewStack(v.list, v.empty))
	return v
}

func (v *contactsView) newRow() fyne.CanvasObject {
	p := &contactParts{
		header: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		star:   widget.NewIcon(theme.NewWarningThemedResource(starIcon)),
		name:   widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		detail: widget.NewLabel(""),
		call:   iconButton(themed(assets.Call), nil),
		sms:    iconButton(theme.MailSendIcon(), nil),
		edit:   iconButton(theme.DocumentCreateIcon(), nil),
		del:    iconButton(theme.DeleteIcon(), nil),
	}
	p.header.Importance = widget.HighImportance
	p.name.Truncation = fyne.TextTruncateEllipsis
	p.detail.Truncation = fyne.TextTruncateEllipsis
	p.detail.SizeName = theme.SizeNameCaptionText
	p.row = container.NewBorder(nil, nil, p.star, container.NewHBox(p.call, p.sms, p.edit, p.del),
		container.NewVBox(p.name, p.detail))
	return newItemBox(container.NewStack(p.header, p.row), p)
}

func (v *contactsView) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id < 0 || id >= len(v.items) {
		return
	}
	it := v.items[id]
	p := o.(*itemBox).parts.(*contactParts)
	if it.Header != "" {
		p.header.SetText(it.Header)
		p.header.Show()
		p.row.Hide()
		v.list.SetItemHeight(id, p.header.MinSize().Height)
		return
	}
	p.header.Hide()
	p.row.Show()
	c := it.Contact
	u := v.u
	if c.VIP {
		p.star.Show()
	} else {
		p.star.Hide()
	}
	p.name.SetText(c.Name)
	var detail []string
	if c.Company != "" {
		detail = append(detail, c.Company)
	}
	number := ContactNumber(c, u.peopleSnap.Colleagues)
	for _, s := range []string{number, c.Mobile, c.Email} {
		if s != "" && !containsString(detail, s) {
			detail = append(detail, s)
		}
	}
	p.detail.SetText(strings.Join(detail, " · "))
	mobile := c.Mobile
	p.call.OnTapped = func() { u.callNumber(number) }
	setEnabled(p.call, number != "")
	p.sms.OnTapped = func() { u.openSMS(mobile, c.Name) }
	if mobile != "" {
		p.sms.Show()
	} else {
		p.sms.Hide()
	}
	// Organisation contacts are managed by admins (DIR-4).
	p.edit.OnTapped = func() { u.editContact(c, c.UserID != 0) }
	p.del.OnTapped = func() { u.deleteContact(c) }
	if c.Org {
		p.edit.Hide()
		p.del.Hide()
	} else {
		p.edit.Show()
		p.del.Show()
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (v *contactsView) refresh() {
	v.items = ContactItems(v.u.peopleSnap.Contacts, v.u.tr)
	if len(v.items) == 0 {
		v.empty.Show()
	} else {
		v.empty.Hide()
	}
	v.list.Refresh()
}

// contactForm is the add/edit dialog's content; tests fill its widgets.
type contactForm struct {
	internal  bool
	c         api.Contact
	pick      *widget.Select
	pickIDs   []int64
	name      *widget.Entry
	company   *widget.Entry
	mobile    *widget.Entry
	phone     *widget.Entry
	email     *widget.Entry
	favourite *widget.Check
	vip       *widget.Check
	errText   *widget.Label
	save      *widget.Button
	dlg       dialog.Dialog
}

// contact is the contact the form describes.
func (f *contactForm) contact() api.Contact {
	c := f.c
	if f.internal {
		if i := f.pick.SelectedIndex(); i >= 0 && i < len(f.pickIDs) {
			c.UserID = f.pickIDs[i]
			c.Name = strings.TrimSpace(strings.SplitN(f.pick.Selected, " · ", 2)[0])
		}
	} else {
		c.Name = strings.TrimSpace(f.name.Text)
		c.Company = strings.TrimSpace(f.company.Text)
		c.Mobile = strings.TrimSpace(f.mobile.Text)
		c.Phone = strings.TrimSpace(f.phone.Text)
		c.Email = strings.TrimSpace(f.email.Text)
	}
	c.Favourite = f.favourite.Checked
	c.VIP = f.vip.Checked
	return c
}

// editContact opens the add/edit dialog: internal contacts are picked from the directory,
// external ones typed in.
func (u *UI) editContact(c api.Contact, internal bool) {
	u.activity()
	tr := u.tr
	f := &contactForm{internal: internal, c: c}
	f.favourite = widget.NewCheck(tr.T(KFavourite), nil)
	f.favourite.Checked = c.Favourite
	f.vip = widget.NewCheck(tr.T(KVIP), nil)
	f.vip.Checked = c.VIP
	f.errText = widget.NewLabel("")
	f.errText.Importance = widget.DangerImportance
	f.errText.Wrapping = fyne.TextWrapWord
	f.errText.Hide()
	var fields *fyne.Container
	if internal {
		var opts []string
		me := u.model.Snapshot().Profile.Extension
		for _, col := range u.peopleSnap.Colleagues {
			if col.Extension == me && me != "" {
				continue
			}
			opts = append(opts, col.Name+" · "+col.Extension)
			f.pickIDs = append(f.pickIDs, col.UserID)
		}
		f.pick = widget.NewSelect(opts, nil)
		for i, id := range f.pickIDs {
			if id == c.UserID && c.UserID != 0 {
				f.pick.SetSelectedIndex(i)
			}
		}
		fields = container.NewVBox(label(tr.T(KPickColleague)), f.pick)
	} else {
		entry := func(s string) *widget.Entry { e := widget.NewEntry(); e.SetText(s); return e }
		f.name, f.company = entry(c.Name), entry(c.Company)
		f.mobile, f.phone, f.email = entry(c.Mobile), entry(c.Phone), entry(c.Email)
		fields = container.New(layout.NewFormLayout(),
			label(tr.T(KContactName)), f.name, label(tr.T(KCompany)), f.company,
			label(tr.T(KMobile)), f.mobile, label(tr.T(KPhoneNumber)), f.phone,
			label(tr.T(KEmail)), f.email)
	}
	title := tr.T(KAddContact)
	if internal && c.ID == 0 {
		title = tr.T(KAddColleague)
	} else if c.ID != 0 {
		title = tr.T(KEditContact)
	}
	f.save = widget.NewButtonWithIcon(tr.T(KSave), theme.ConfirmIcon(), func() { u.submitContact(f) })
	f.save.Importance = widget.HighImportance
	cancel := widget.NewButtonWithIcon(tr.T(KCancel), theme.CancelIcon(), func() { f.dlg.Hide() })
	body := container.NewVBox(fields, container.NewHBox(f.favourite, f.vip), f.errText,
		container.NewGridWithColumns(2, cancel, f.save))
	f.dlg = dialog.NewCustomWithoutButtons(title, body, u.win)
	f.dlg.Resize(fyne.NewSize(380, 0))
	u.contactDlg = f
	f.dlg.Show()
}

// submitContact checks the form and saves it off the Fyne goroutine.
func (u *UI) submitContact(f *contactForm) {
	c := f.contact()
	if f.internal && c.UserID == 0 {
		f.errText.SetText(u.tr.T(KErrContactPick))
		f.errText.Show()
		return
	}
	if err := ValidateContact(c, u.tr); err != nil {
		f.errText.SetText(err.Error())
		f.errText.Show()
		return
	}
	f.save.Disable()
	model := u.o.People
	u.goAsync(func() {
		ctx, cancel := context.WithTimeout(u.ctx, peopleTimeout)
		defer cancel()
		_, err := model.SaveContact(ctx, c)
		u.do(func() {
			f.save.Enable()
			if err != nil {
				f.errText.SetText(u.tr.F(KErrAction, err))
				f.errText.Show()
				return
			}
			f.dlg.Hide()
		})
	})
}

func (u *UI) deleteContact(c api.Contact) {
	u.activity()
	dialog.ShowConfirm(u.tr.T(KDelete), u.tr.F(KDeleteConfirm, c.Name), func(ok bool) {
		if !ok {
			return
		}
		model := u.o.People
		u.goAsync(func() {
			ctx, cancel := context.WithTimeout(u.ctx, peopleTimeout)
			defer cancel()
			err := model.DeleteContact(ctx, c.ID)
			u.do(func() { u.act(err) })
		})
	}, u.win)
}

// ---- Chat ---------------------------------------------------------------------------------

// chatView is the Chat tab: the conversation list, or one conversation with its history.
type chatView struct {
	u    *UI
	root *fyne.Container

	listView fyne.CanvasObject
	list     *widget.List
	empty    *widget.Label
	rows     []ChatRow

	convView fyne.CanvasObject
	open     string // the extension of the open conversation, "" for the list
	title    *widget.Label
	history  *fyne.Container
	scroll   *container.Scroll
	entry    *widget.Entry
	send     *widget.Button
	errText  *widget.Label
	shown    int // messages rendered in history
}

type chatParts struct {
	title, preview, when *widget.Label
	unread               *widget.Label
}

func newChatView(u *UI) *chatView {
	v := &chatView{u: u}
	tr := u.tr
	v.empty = widget.NewLabel(tr.T(KNoChats))
	v.empty.Alignment = fyne.TextAlignCenter
	v.empty.Importance = widget.LowImportance
	v.empty.Wrapping = fyne.TextWrapWord
	v.list = widget.NewList(func() int { return len(v.rows) }, v.newRow, v.updateRow)
	v.list.OnSelected = func(id widget.ListItemID) {
		v.list.UnselectAll()
		if id >= 0 && id < len(v.rows) {
			u.openChat(v.rows[id].With)
		}
	}
	v.listView = container.NewStack(v.list, v.empty)

	v.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.title.Truncation = fyne.TextTruncateEllipsis
	back := widget.NewButtonWithIcon(tr.T(KBack), theme.NavigateBackIcon(), v.closeConversation)
	back.Importance = widget.LowImportance
	call := iconButton(themed(assets.Call), func() { u.callNumber(v.open) })
	v.history = container.NewVBox()
	v.scroll = container.NewVScroll(v.history)
	v.entry = widget.NewEntry()
	v.entry.SetPlaceHolder(tr.T(KChatHint))
	v.entry.OnSubmitted = func(string) { v.sendMessage() }
	v.send = widget.NewButtonWithIcon(tr.T(KSend), theme.MailSendIcon(), v.sendMessage)
	v.send.Importance = widget.HighImportance
	v.errText = widget.NewLabel("")
	v.errText.Importance = widget.DangerImportance
	v.errText.Wrapping = fyne.TextWrapWord
	v.errText.Hide()
	top := container.NewBorder(nil, nil, back, call, v.title)
	bottom := container.NewVBox(v.errText, container.NewBorder(nil, nil, nil, v.send, v.entry))
	v.convView = container.NewBorder(top, container.NewPadded(bottom), nil, nil, v.scroll)
	v.root = container.NewStack(v.listView)
	return v
}

func (v *chatView) newRow() fyne.CanvasObject {
	p := &chatParts{
		title:   widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		preview: widget.NewLabel(""),
		when:    widget.NewLabel(""),
		unread:  widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
	}
	p.title.Truncation = fyne.TextTruncateEllipsis
	p.preview.Truncation = fyne.TextTruncateEllipsis
	p.preview.SizeName = theme.SizeNameCaptionText
	p.when.SizeName = theme.SizeNameCaptionText
	p.unread.Importance = widget.HighImportance
	right := container.NewVBox(p.when, p.unread)
	return newItemBox(container.NewBorder(nil, nil, widget.NewIcon(theme.AccountIcon()), right,
		container.NewVBox(p.title, p.preview)), p)
}

func (v *chatView) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id < 0 || id >= len(v.rows) {
		return
	}
	r := v.rows[id]
	p := o.(*itemBox).parts.(*chatParts)
	p.title.SetText(r.Title)
	p.preview.SetText(r.Preview)
	if r.Bold {
		p.preview.TextStyle = fyne.TextStyle{Bold: true}
	} else {
		p.preview.TextStyle = fyne.TextStyle{}
	}
	p.preview.Refresh()
	p.when.SetText(r.When)
	p.unread.SetText(r.Unread)
}

func (v *chatView) refresh() {
	u := v.u
	s := u.peopleSnap
	me := u.model.Snapshot().Profile.Extension
	now := u.now()
	rows := make([]ChatRow, 0, len(s.Chats))
	for _, c := range s.Chats {
		rows = append(rows, ChatRowOf(c, me, u.tr, now))
	}
	v.rows = rows
	if len(rows) == 0 {
		v.empty.Show()
	} else {
		v.empty.Hide()
	}
	v.list.Refresh()
	if v.open != "" {
		v.renderConversation()
	}
}

// renderConversation shows the open conversation's history, appending only new messages.
func (v *chatView) renderConversation() {
	u := v.u
	s := u.peopleSnap
	v.title.SetText(ColleagueName(s, v.open) + " · " + v.open)
	c, _ := FindChat(s, v.open)
	rows := MessageRows(c.Messages, u.model.Snapshot().Profile.Extension, u.now())
	if len(rows) < v.shown {
		v.history.Objects = nil
		v.shown = 0
	}
	if len(rows) == 0 {
		v.history.Objects = []fyne.CanvasObject{widget.NewLabel(u.tr.T(KChatNoHistory))}
		v.history.Refresh()
		return
	}
	if v.shown == 0 {
		v.history.Objects = nil
	}
	for _, r := range rows[v.shown:] {
		v.history.Add(messageBubble(r))
	}
	added := len(rows) > v.shown
	v.shown = len(rows)
	if added {
		v.scroll.ScrollToBottom()
	}
}

// messageBubble is one message: own messages on the right, the peer's on the left.
func messageBubble(r MessageRow) fyne.CanvasObject {
	body := widget.NewLabel(r.Body)
	body.Wrapping = fyne.TextWrapWord
	when := canvas.NewText(r.When, theme.Color(theme.ColorNamePlaceHolder))
	when.TextSize = theme.CaptionTextSize()
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	if r.Mine {
		bg.FillColor = bannerColor()
	}
	bg.CornerRadius = theme.InputRadiusSize() * 2
	pad := theme.InnerPadding()
	foot := container.New(layout.NewCustomPaddedLayout(-pad, pad/2, pad, pad), container.NewHBox(layout.NewSpacer(), when))
	bubble := container.NewStack(bg, container.NewBorder(nil, foot, nil, nil, body))
	spacer := canvas.NewRectangle(color.Transparent)
	spacer.SetMinSize(fyne.NewSize(48, 0))
	if r.Mine {
		return container.NewBorder(nil, nil, spacer, nil, bubble)
	}
	return container.NewBorder(nil, nil, nil, spacer, bubble)
}

func (v *chatView) closeConversation() {
	v.open = ""
	v.shown = 0
	v.errText.Hide()
	v.root.Objects = []fyne.CanvasObject{v.listView}
	v.root.Refresh()
}

func (v *chatView) sendMessage() {
	u := v.u
	u.activity()
	body := strings.TrimSpace(v.entry.Text)
	to := v.open
	if body == "" || to == "" {
		return
	}
	v.send.Disable()
	v.errText.Hide()
	model := u.o.People
	u.goAsync(func() {
		ctx, cancel := context.WithTimeout(u.ctx, peopleTimeout)
		defer cancel()
		err := model.SendChat(ctx, to, body)
		u.do(func() {
			v.send.Enable()
			if err != nil {
				v.errText.SetText(u.tr.F(KErrAction, err))
				v.errText.Show()
				return
			}
			if v.entry.Text == body || strings.TrimSpace(v.entry.Text) == body {
				v.entry.SetText("")
			}
		})
	})
}

// openChat shows the conversation with ext on the Chat tab and loads its history (which marks
// it read).
func (u *UI) openChat(ext string) {
	if ext == "" {
		return
	}
	u.activity()
	v := u.chat
	if u.tabs.Selected() != u.chatTab {
		u.tabs.Select(u.chatTab)
	}
	if v.open != ext {
		v.open = ext
		v.shown = 0
		v.history.Objects = nil
		v.entry.SetText("")
		v.errText.Hide()
	}
	v.root.Objects = []fyne.CanvasObject{v.convView}
	v.root.Refresh()
	v.renderConversation()
	u.hideMessageBanner()
	u.loadChat(ext)
}

// loadChat loads a conversation's history off the Fyne goroutine.
func (u *UI) loadChat(ext string) {
	model := u.o.People
	u.goAsync(func() {
		ctx, cancel := context.WithTimeout(u.ctx, peopleTimeout)
		defer cancel()
		if err := model.OpenChat(ctx, ext); err != nil {
			u.do(func() {
				u.chat.errText.SetText(u.tr.F(KErrAction, err))
				u.chat.errText.Show()
			})
		}
	})
}

// ---- New-message banner --------------------------------------------------------------------

// notifyMessage shows a new message in a banner inside the window, which never takes the
// focus, and as a system notification when the Softphone is not in the foreground. A message
// in the conversation being read is marked read instead.
func (u *UI) notifyMessage(m api.Message) {
	tr := u.tr
	if u.onMain && u.tabs.Selected() == u.chatTab && u.chat.open == m.From {
		u.loadChat(m.From) // the conversation is open: keep it marked read
		if !u.foreground || u.tray.hidden {
			// ... but the window is behind others or in the tray: the user is not reading it.
			u.app.SendNotification(fyne.NewNotification(tr.F(KNewMessageFrom, ColleagueName(u.peopleSnap, m.From)),
				strings.Join(strings.Fields(m.Body), " ")))
		}
		return
	}
	from := ColleagueName(u.peopleSnap, m.From)
	title := tr.F(KNewMessageFrom, from)
	body := strings.Join(strings.Fields(m.Body), " ")
	if len([]rune(body)) > 120 {
		body = string([]rune(body)[:119]) + "…"
	}
	head := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	head.Truncation = fyne.TextTruncateEllipsis
	text := widget.NewLabel(body)
	text.Wrapping = fyne.TextWrapWord
	ext := m.From
	u.msgOpen = widget.NewButtonWithIcon(tr.T(KOpen), theme.MailComposeIcon(), func() { u.openChat(ext) })
	u.msgOpen.Importance = widget.HighImportance
	dismiss := widget.NewButtonWithIcon(tr.T(KDismiss), theme.CancelIcon(), u.hideMessageBanner)
	bg := canvas.NewRectangle(bannerColor())
	bg.CornerRadius = theme.InputRadiusSize() * 2
	content := container.NewVBox(container.NewBorder(nil, nil, widget.NewIcon(theme.MailComposeIcon()), nil, head), text,
		container.NewGridWithColumns(2, dismiss, u.msgOpen))
	u.msgBanner.Objects = []fyne.CanvasObject{container.NewPadded(container.NewStack(bg, container.NewPadded(content)))}
	u.msgBanner.Refresh()
	u.mainView.Refresh()
	// The lifecycle's foreground is "one of our windows has the focus" (Fyne tracks no more).
	if !u.foreground {
		u.app.SendNotification(fyne.NewNotification(title, body))
	}
}

func (u *UI) hideMessageBanner() {
	if len(u.msgBanner.Objects) == 0 {
		return
	}
	u.msgBanner.Objects = nil
	u.msgOpen = nil
	u.msgBanner.Refresh()
	u.mainView.Refresh()
}

// ---- SMS ----------------------------------------------------------------------------------

// smsForm is the SMS dialog's content; tests fill its widgets.
type smsForm struct {
	to      *widget.Entry
	text    *widget.Entry
	counter *widget.Label
	result  *widget.Label
	send    *widget.Button
	dlg     dialog.Dialog
}

// openSMS opens the SMS dialog with the recipient filled in (it may be empty).
func (u *UI) openSMS(to, name string) {
	u.activity()
	tr := u.tr
	f := &smsForm{to: widget.NewEntry(), text: widget.NewMultiLineEntry(), counter: widget.NewLabel(""), result: widget.NewLabel("")}
	f.to.SetText(to)
	f.text.Wrapping = fyne.TextWrapWord
	f.text.SetMinRowsVisible(4)
	f.counter.SizeName = theme.SizeNameCaptionText
	f.counter.Alignment = fyne.TextAlignTrailing
	f.result.Wrapping = fyne.TextWrapWord
	f.result.Hide()
	f.text.OnChanged = func(s string) {
		c, over := SMSCounter(s, tr)
		f.counter.SetText(c)
		if over {
			f.counter.Importance = widget.DangerImportance
		} else {
			f.counter.Importance = widget.LowImportance
		}
		f.counter.Refresh()
	}
	f.text.OnChanged("")
	f.send = widget.NewButtonWithIcon(tr.T(KSend), theme.MailSendIcon(), func() { u.submitSMS(f) })
	f.send.Importance = widget.HighImportance
	closeBtn := widget.NewButtonWithIcon(tr.T(KClose), theme.CancelIcon(), func() { f.dlg.Hide() })
	title := tr.T(KSMSTitle)
	if name != "" {
		title = fmt.Sprintf("%s: %s", title, name)
	}
	body := container.NewVBox(label(tr.T(KSMSTo)), f.to, label(tr.T(KSMSText)), f.text, f.counter, f.result,
		container.NewGridWithColumns(2, closeBtn, f.send))
	f.dlg = dialog.NewCustomWithoutButtons(title, body, u.win)
	f.dlg.Resize(fyne.NewSize(380, 0))
	u.smsDlg = f
	f.dlg.Show()
}

func (u *UI) submitSMS(f *smsForm) {
	tr := u.tr
	to, text := strings.TrimSpace(f.to.Text), f.text.Text
	showResult := func(msg string, imp widget.Importance) {
		f.result.SetText(msg)
		f.result.Importance = imp
		f.result.Show()
		f.result.Refresh()
	}
	if err := ValidateSMS(to, text, tr); err != nil {
		showResult(err.Error(), widget.DangerImportance)
		return
	}
	f.send.Disable()
	showResult(tr.T(KSending), widget.LowImportance)
	model := u.o.People
	u.goAsync(func() {
		ctx, cancel := context.WithTimeout(u.ctx, peopleTimeout)
		defer cancel()
		sms, err := model.SendSMS(ctx, to, text)
		u.do(func() {
			f.send.Enable()
			if err != nil {
				showResult(tr.F(KErrAction, err), widget.DangerImportance)
				return
			}
			showResult(tr.F(KSMSSent, firstNonEmpty(sms.To, to), max(sms.Parts, 1)), widget.SuccessImportance)
			f.text.SetText("")
		})
	})
}

// ---- Shared --------------------------------------------------------------------------------

// callNumber dials from a colleague or contact and shows the Phone tab.
func (u *UI) callNumber(number string) {
	u.activity()
	if number == "" {
		return
	}
	u.callBack(number)
}

// renderPeople brings the people widgets up to date with a new snapshot of the people model.
func (u *UI) renderPeople(s people.Snapshot) {
	prev := u.peopleSnap
	u.peopleSnap = s
	u.pres.set(PresenceViewOf(s.Me, s.Activities, u.tr, u.now()))
	u.dir.refresh()
	u.cons.refresh()
	u.chat.refresh()
	u.renderRoleTabs() // the switchboard's busy lamps
	u.forwardingActivities(s.Activities)
	if title := ChatTabTitle(s.Unread, u.tr); u.chatTab.Text != title {
		u.chatTab.Text = title
		u.tabs.Refresh()
	}
	if s.LastIncoming != nil && (prev.LastIncoming == nil || prev.LastIncoming.ID != s.LastIncoming.ID ||
		prev.LastIncoming.SentAt != s.LastIncoming.SentAt) && prev.Loaded {
		u.notifyMessage(*s.LastIncoming)
	}
}
