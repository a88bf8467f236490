package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/refdata"
)

// MaxRegistrationFile is the size limit of each registration upload.
const MaxRegistrationFile = 10 << 20

// Service holds the account use cases.
type Service struct {
	Repo     Repo
	Files    core.FileRepo
	Ref      *refdata.Data
	Limiter  LoginLimiter
	Sessions SessionKiller
	Clock    core.Clock
	Log      *slog.Logger

	BcryptCost   int
	MaxFailures  int
	LockDuration time.Duration
}

func (s *Service) now() time.Time { return s.Clock.Now() }

func (s *Service) hash(pw string) (string, error) {
	cost := s.BcryptCost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// ---------------------------------------------------------------- registration

// RegistrationInput is the registration form (manual 图 4).
type RegistrationInput struct {
	UserType     string // must be "applicant" (申请方)
	Identity     string // must be "organization" (企业/单位)
	Name         string
	Address      string
	CreditCode   string
	RegionCode   string
	ContactName  string
	ContactPhone string
	Login        string
	Password     string
	Password2    string
	Licence      core.Upload
	Letter       core.Upload
}

func (in *RegistrationInput) normalize() {
	in.Name = strings.TrimSpace(in.Name)
	in.Address = strings.TrimSpace(in.Address)
	in.CreditCode = core.NormalizeCreditCode(in.CreditCode)
	in.RegionCode = strings.TrimSpace(in.RegionCode)
	in.ContactName = strings.TrimSpace(in.ContactName)
	in.ContactPhone = NormalizePhone(in.ContactPhone)
	in.Login = strings.TrimSpace(in.Login)
}

// validate checks the organisation fields; isNew adds the account fields
// and requires the uploads.
func (s *Service) validate(in *RegistrationInput, isNew bool) (*core.Fields, map[string]string) {
	in.normalize()
	f := &core.Fields{}
	if isNew {
		switch in.UserType {
		case "applicant":
		case "":
			f.Add("userType", "请选择用户类型")
		default:
			f.Add("userType", "送检单位请选择“申请方”用户类型；技术机构及行政管理部门账号由平台管理员开通")
		}
		switch in.Identity {
		case "organization":
		case "person":
			f.Add("identity", "平台不受理个人身份注册，请以“企业/单位”身份注册")
		default:
			f.Add("identity", "请选择“企业/单位”身份")
		}
	}
	checkText(f, "name", "申请方名称", in.Name, 2, 100)
	checkText(f, "address", "详细地址", in.Address, 5, 200)
	if msg := core.CheckCreditCode(in.CreditCode); msg != "" {
		f.Add("creditCode", "%s", msg)
	}
	if in.RegionCode == "" {
		f.Add("regionCode", "请选择所属区域")
	} else if r, ok := s.Ref.Region(in.RegionCode); !ok {
		f.Add("regionCode", "所属区域代码 %s 不存在", in.RegionCode)
	} else if !r.IsDistrict() {
		f.Add("regionCode", "【%s】是属于市级代码，所属区域须选择到区县级", in.RegionCode)
	}
	checkText(f, "contactName", "联系人", in.ContactName, 2, 30)
	if msg := CheckContactPhone(in.ContactPhone); msg != "" {
		f.Add("contactPhone", "%s", msg)
	}
	if isNew {
		if msg := CheckLogin(in.Login); msg != "" {
			f.Add("login", "%s", msg)
		}
		if msg := CheckPassword(in.Password, in.Login); msg != "" {
			f.Add("password", "%s", msg)
		} else if in.Password2 != in.Password {
			f.Add("password2", "两次输入的密码不一致")
		}
	}
	types := map[string]string{}
	check := func(field, label string, u core.Upload) {
		if u.Empty() {
			if isNew {
				f.Add(field, "请上传%s", label)
			}
			return
		}
		if len(u.Data) > MaxRegistrationFile {
			f.Add(field, "%s不能超过 %dM", label, MaxRegistrationFile>>20)
			return
		}
		if len(u.Data) == 0 {
			f.Add(field, "%s是空文件，请重新选择", label)
			return
		}
		ct, err := core.Sniff(u.Name, u.Data, core.KindJPEG, core.KindPNG, core.KindPDF)
		if err != nil {
			f.Add(field, "%s", core.ErrorMessage(err))
			return
		}
		types[field] = ct
	}
	check("licence", "统一社会信用代码证（营业执照）扫描件", in.Licence)
	check("letter", "授权委托书", in.Letter)
	return f, types
}

func (s *Service) saveFile(ctx context.Context, applicantID, userID, purpose, contentType string, u core.Upload) (string, error) {
	sum := sha256.Sum256(u.Data)
	f := &core.File{
		ID:          core.NewID(),
		Name:        sanitizeFileName(u.Name),
		ContentType: contentType,
		Size:        int64(len(u.Data)),
		SHA256:      hex.EncodeToString(sum[:]),
		ApplicantID: applicantID,
		Purpose:     purpose,
		CreatedAt:   s.now(),
		CreatedBy:   userID,
	}
	if err := s.Files.PutFile(ctx, f, u.Data); err != nil {
		return "", fmt.Errorf("save %s: %w", purpose, err)
	}
	return f.ID, nil
}

func sanitizeFileName(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, name)
	if utf8.RuneCountInString(name) > 120 {
		name = string([]rune(name)[:120])
	}
	return name
}

// Register creates a pending registration and its main account. Nothing is
// stored when any field is invalid.
func (s *Service) Register(ctx context.Context, in RegistrationInput) (*Applicant, error) {
	f, types := s.validate(&in, true)
	loginKey := NormalizeLogin(in.Login)
	if !f.Has("login") {
		if _, err := s.Repo.GetUserByLogin(ctx, loginKey); err == nil {
			f.Add("login", "账号“%s”已被注册，请换一个", in.Login)
		} else if !core.IsCode(err, core.NotFound) {
			return nil, err
		}
	}
	if !f.Has("creditCode") {
		n, err := s.countLiveCredit(ctx, in.CreditCode, "")
		if err != nil {
			return nil, err
		}
		if n > 0 {
			f.Add("creditCode", "该统一社会信用代码已注册，请使用已有账号登录，或联系当地技术机构")
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hash(in.Password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	id := core.NewID()
	region, _ := s.Ref.Region(in.RegionCode)
	a := &Applicant{
		ID: id, Name: in.Name, Address: in.Address, CreditCode: in.CreditCode,
		RegionCode: in.RegionCode, CityCode: region.CityCode(),
		ContactName: in.ContactName, ContactPhone: in.ContactPhone,
		Status: StatusPending, SubmittedAt: now, CreditKey: in.CreditCode,
		CreatedAt: now, UpdatedAt: now, Version: 1,
		History: []HistoryEntry{{At: now, UserID: id, UserName: in.ContactName, Action: "提交注册申请"}},
	}
	u := &User{
		ID: id, Login: in.Login, LoginKey: loginKey, Name: in.ContactName, Phone: in.ContactPhone,
		Role: core.RoleApplicant, ApplicantID: id, PasswordHash: hash,
		CreatedAt: now, UpdatedAt: now, CreatedBy: id, Version: 1,
	}
	var saved []string
	cleanup := func() {
		for _, fid := range saved {
			if err := s.Files.DeleteFile(context.WithoutCancel(ctx), fid); err != nil {
				s.Log.Warn("delete orphan registration file", "file", fid, "err", err)
			}
		}
	}
	if a.LicenceFile, err = s.saveFile(ctx, id, id, "licence", types["licence"], in.Licence); err != nil {
		return nil, err
	}
	saved = append(saved, a.LicenceFile)
	if a.LetterFile, err = s.saveFile(ctx, id, id, "authletter", types["letter"], in.Letter); err != nil {
		cleanup()
		return nil, err
	}
	saved = append(saved, a.LetterFile)
	if err := s.Repo.CreateApplicant(ctx, a, u); err != nil {
		cleanup()
		return nil, s.registrationConflict(err, in.Login)
	}
	s.Log.Info("applicant registered", "applicant", id, "login", in.Login, "region", in.RegionCode)
	return a, nil
}

// registrationConflict turns a store conflict (lost race) into a field error.
func (s *Service) registrationConflict(err error, login string) error {
	if !core.IsCode(err, core.Conflict) {
		return err
	}
	f := &core.Fields{}
	if strings.Contains(core.ErrorMessage(err), "信用代码") {
		f.Add("creditCode", "该统一社会信用代码已注册，请使用已有账号登录，或联系当地技术机构")
	} else {
		f.Add("login", "账号“%s”已被注册，请换一个", login)
	}
	return f.Err()
}

func (s *Service) countLiveCredit(ctx context.Context, code, except string) (int, error) {
	list, _, err := s.Repo.ListApplicants(ctx, ApplicantQuery{CreditCode: code, Limit: 50,
		Statuses: []Status{StatusPending, StatusApproved, StatusRejected}})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range list {
		if a.CreditCode == code && a.ID != except {
			n++
		}
	}
	return n, nil
}

// MyApplicant returns the applicant of an applicant principal.
func (s *Service) MyApplicant(ctx context.Context, p core.Principal) (*Applicant, error) {
	if !p.IsApplicant() {
		return nil, core.Errorf(core.Forbidden, "该功能仅供申请方使用")
	}
	return s.Repo.GetApplicant(ctx, p.ApplicantID)
}

// Applicant returns applicant id if p may see it; NotFound otherwise.
func (s *Service) Applicant(ctx context.Context, p core.Principal, id string) (*Applicant, error) {
	a, err := s.Repo.GetApplicant(ctx, id)
	if err != nil {
		return nil, err
	}
	if !canSee(s.Ref, p, a) {
		return nil, core.ErrNotFound("申请方")
	}
	return a, nil
}

// UpdateRegistration lets a pending or rejected applicant correct its
// registration; a rejected one is resubmitted for review. Uploads are
// optional: an empty one keeps the stored file.
func (s *Service) UpdateRegistration(ctx context.Context, p core.Principal, version int, in RegistrationInput) (*Applicant, error) {
	if !p.MainApplicant() {
		return nil, core.Errorf(core.Forbidden, "只有主账号可以修改注册信息")
	}
	a, err := s.Repo.GetApplicant(ctx, p.ApplicantID)
	if err != nil {
		return nil, err
	}
	if a.Status != StatusPending && a.Status != StatusRejected {
		return nil, core.Errorf(core.Conflict, "注册申请当前状态为“%s”，不能修改", a.Status.Name())
	}
	if version != 0 && version != a.Version {
		return nil, core.Errorf(core.Conflict, "注册信息已在别处被修改，请刷新页面后重试")
	}
	f, types := s.validate(&in, false)
	if !f.Has("creditCode") && in.CreditCode != a.CreditCode {
		n, err := s.countLiveCredit(ctx, in.CreditCode, a.ID)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			f.Add("creditCode", "该统一社会信用代码已注册，请使用已有账号登录，或联系当地技术机构")
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	oldFiles := []string{}
	newFiles := []string{}
	if !in.Licence.Empty() {
		id, err := s.saveFile(ctx, a.ID, p.UserID, "licence", types["licence"], in.Licence)
		if err != nil {
			return nil, err
		}
		oldFiles, newFiles = append(oldFiles, a.LicenceFile), append(newFiles, id)
		a.LicenceFile = id
	}
	if !in.Letter.Empty() {
		id, err := s.saveFile(ctx, a.ID, p.UserID, "authletter", types["letter"], in.Letter)
		if err != nil {
			return nil, err
		}
		oldFiles, newFiles = append(oldFiles, a.LetterFile), append(newFiles, id)
		a.LetterFile = id
	}
	region, _ := s.Ref.Region(in.RegionCode)
	a.Name, a.Address, a.CreditCode, a.CreditKey = in.Name, in.Address, in.CreditCode, in.CreditCode
	a.RegionCode, a.CityCode = in.RegionCode, region.CityCode()
	a.ContactName, a.ContactPhone = in.ContactName, in.ContactPhone
	action := "修改注册信息"
	if a.Status == StatusRejected {
		action = "修改后重新提交注册申请"
		a.Status, a.RejectReason, a.SubmittedAt = StatusPending, "", now
	}
	a.UpdatedAt = now
	a.History = append(a.History, HistoryEntry{At: now, UserID: p.UserID, UserName: p.Name, Action: action})
	if err := s.Repo.UpdateApplicant(ctx, a); err != nil {
		for _, id := range newFiles {
			_ = s.Files.DeleteFile(context.WithoutCancel(ctx), id)
		}
		return nil, s.registrationConflict(err, "")
	}
	for _, id := range oldFiles {
		if err := s.Files.DeleteFile(ctx, id); err != nil && !core.IsCode(err, core.NotFound) {
			s.Log.Warn("delete replaced registration file", "file", id, "err", err)
		}
	}
	return a, nil
}

// CancelRegistration lets a pending or rejected applicant cancel (注销) its
// account: it can no longer log in, and its login and credit code are free.
func (s *Service) CancelRegistration(ctx context.Context, p core.Principal) error {
	if !p.MainApplicant() {
		return core.Errorf(core.Forbidden, "只有主账号可以注销账号")
	}
	a, err := s.Repo.GetApplicant(ctx, p.ApplicantID)
	if err != nil {
		return err
	}
	if a.Status != StatusPending && a.Status != StatusRejected {
		return core.Errorf(core.Conflict, "注册申请当前状态为“%s”，不能自行注销；如需注销请联系技术机构", a.Status.Name())
	}
	u, err := s.Repo.GetUser(ctx, a.ID)
	if err != nil {
		return err
	}
	now := s.now()
	a.Status, a.CreditKey, a.UpdatedAt = StatusCancelled, a.CreditCode+"#cancelled#"+a.ID, now
	a.History = append(a.History, HistoryEntry{At: now, UserID: p.UserID, UserName: p.Name, Action: "注销账号"})
	if err := s.Repo.UpdateApplicant(ctx, a); err != nil {
		return err
	}
	// The applicant is cancelled first: a crash here leaves a main account
	// that cannot log in (Resolve refuses cancelled applicants) and a
	// retry finishes the job.
	u.Disabled, u.LoginKey, u.UpdatedAt = true, u.LoginKey+"#cancelled#"+u.ID, now
	if err := s.Repo.UpdateUser(ctx, u); err != nil {
		return err
	}
	return s.Sessions.KillUserSessions(ctx, u.ID, "")
}

// ReviewQueue lists the registrations p may review or see.
func (s *Service) ReviewQueue(ctx context.Context, p core.Principal, q ApplicantQuery) ([]*Applicant, int, error) {
	if err := p.RequireRole(core.RoleStaff, core.RoleRegulator, core.RoleAdmin); err != nil {
		return nil, 0, err
	}
	q.CityCode, q.RegionCode = "", ""
	if !scopeQuery(s.Ref, p, &q) {
		return nil, 0, nil
	}
	if q.Limit <= 0 || q.Limit > 100 {
		q.Limit = 15
	}
	return s.Repo.ListApplicants(ctx, q)
}

func (s *Service) reviewable(ctx context.Context, p core.Principal, id string, version int) (*Applicant, error) {
	// Visibility first: a registration p cannot see does not exist for p.
	a, err := s.Applicant(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := p.RequireRole(core.RoleStaff); err != nil {
		return nil, err
	}
	if a.Status != StatusPending {
		return nil, core.Errorf(core.Conflict, "该注册申请当前状态为“%s”，不能重复审核", a.Status.Name())
	}
	if version != 0 && version != a.Version {
		return nil, core.Errorf(core.Conflict, "该注册申请已被修改，请刷新后重新审核")
	}
	return a, nil
}

// Approve approves a pending registration.
func (s *Service) Approve(ctx context.Context, p core.Principal, id string, version int) (*Applicant, error) {
	a, err := s.reviewable(ctx, p, id, version)
	if err != nil {
		return nil, err
	}
	now := s.now()
	a.Status, a.ReviewedAt, a.ReviewedBy, a.ReviewerName, a.RejectReason, a.UpdatedAt = StatusApproved, now, p.UserID, p.Name, "", now
	a.History = append(a.History, HistoryEntry{At: now, UserID: p.UserID, UserName: p.Name, Action: "审核通过"})
	if err := s.Repo.UpdateApplicant(ctx, a); err != nil {
		return nil, s.reviewConflict(ctx, err, id)
	}
	return a, nil
}

// Reject rejects a pending registration with a reason the applicant sees.
func (s *Service) Reject(ctx context.Context, p core.Principal, id string, version int, reason string) (*Applicant, error) {
	reason = strings.TrimSpace(reason)
	f := &core.Fields{}
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		f.Add("reason", "请填写拒绝原因，申请方将按原因修改")
	case n > 500:
		f.Add("reason", "拒绝原因不能超过 500 个字")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	a, err := s.reviewable(ctx, p, id, version)
	if err != nil {
		return nil, err
	}
	now := s.now()
	a.Status, a.ReviewedAt, a.ReviewedBy, a.ReviewerName, a.RejectReason, a.UpdatedAt = StatusRejected, now, p.UserID, p.Name, reason, now
	a.History = append(a.History, HistoryEntry{At: now, UserID: p.UserID, UserName: p.Name, Action: "审核拒绝", Detail: reason})
	if err := s.Repo.UpdateApplicant(ctx, a); err != nil {
		return nil, s.reviewConflict(ctx, err, id)
	}
	return a, nil
}

// reviewConflict words a lost race between two reviewers with the state
// that won.
func (s *Service) reviewConflict(ctx context.Context, err error, id string) error {
	if !core.IsCode(err, core.Conflict) {
		return err
	}
	if cur, gerr := s.Repo.GetApplicant(ctx, id); gerr == nil {
		return core.Errorf(core.Conflict, "该注册申请已被其他人处理，当前状态为“%s”", cur.Status.Name())
	}
	return err
}

// OpenRegistrationFile opens the licence ("licence") or authorisation letter
// ("letter") of applicant id for p.
func (s *Service) OpenRegistrationFile(ctx context.Context, p core.Principal, id, which string) (*core.File, io.ReadCloser, error) {
	a, err := s.Applicant(ctx, p, id)
	if err != nil {
		return nil, nil, err
	}
	var fid string
	switch which {
	case "licence":
		fid = a.LicenceFile
	case "letter":
		fid = a.LetterFile
	default:
		return nil, nil, core.ErrNotFound("文件")
	}
	return s.Files.OpenFile(ctx, fid)
}

// ---------------------------------------------------------------- login

// dummyHash keeps the time of a login for an unknown account close to one
// for a known account.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("dummy-password-1"), bcrypt.MinCost)

// Login checks credentials and returns the user and, for applicant users,
// the applicant. Five wrong passwords lock the account for a while.
func (s *Service) Login(ctx context.Context, login, password string) (*User, *Applicant, error) {
	key := NormalizeLogin(login)
	if key == "" || password == "" {
		f := &core.Fields{}
		if key == "" {
			f.Add("account", "请输入账号")
		}
		if password == "" {
			f.Add("password", "请输入密码")
		}
		return nil, nil, f.Err()
	}
	u, err := s.Repo.GetUserByLogin(ctx, key)
	if core.IsCode(err, core.NotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return nil, nil, core.Errorf(core.Unauthenticated, "账号或密码错误")
	}
	if err != nil {
		return nil, nil, err
	}
	if d, err := s.Limiter.LockedFor(ctx, u.ID); err != nil {
		return nil, nil, err
	} else if d > 0 {
		return nil, nil, lockedError(s.maxFailures(), d)
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		n, lock, err := s.Limiter.Fail(ctx, u.ID, s.maxFailures(), s.lockDuration())
		if err != nil {
			return nil, nil, err
		}
		if lock > 0 {
			s.Log.Warn("account locked after wrong passwords", "user", u.ID, "failures", n)
			return nil, nil, lockedError(s.maxFailures(), lock)
		}
		return nil, nil, core.Errorf(core.Unauthenticated, "账号或密码错误，再输错 %d 次账号将被锁定 %d 分钟", s.maxFailures()-n, int(s.lockDuration().Minutes()))
	}
	app, err := s.checkUsable(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	if err := s.Limiter.Reset(ctx, u.ID); err != nil {
		return nil, nil, err
	}
	return u, app, nil
}

func lockedError(max int, d time.Duration) error {
	mins := int((d + time.Minute - 1) / time.Minute)
	return core.Errorf(core.Locked, "密码连续输错 %d 次，账号已被锁定，请 %d 分钟后再试", max, mins)
}

func (s *Service) maxFailures() int {
	if s.MaxFailures <= 0 {
		return 5
	}
	return s.MaxFailures
}

func (s *Service) lockDuration() time.Duration {
	if s.LockDuration <= 0 {
		return 15 * time.Minute
	}
	return s.LockDuration
}

// checkUsable refuses disabled users and users of cancelled applicants.
func (s *Service) checkUsable(ctx context.Context, u *User) (*Applicant, error) {
	if u.Role != core.RoleApplicant {
		if u.Disabled {
			return nil, core.Errorf(core.Forbidden, "该账号已停用，请联系管理员")
		}
		return nil, nil
	}
	app, err := s.Repo.GetApplicant(ctx, u.ApplicantID)
	if err != nil {
		if core.IsCode(err, core.NotFound) {
			return nil, core.Errorf(core.Forbidden, "该账号已注销")
		}
		return nil, err
	}
	switch {
	case app.Status == StatusCancelled:
		return nil, core.Errorf(core.Forbidden, "该账号已注销")
	case u.Disabled && u.SubUser:
		return nil, core.Errorf(core.Forbidden, "该子用户已被主账号停用")
	case u.Disabled:
		return nil, core.Errorf(core.Forbidden, "该账号已停用，请联系技术机构")
	}
	return app, nil
}

// Resolve turns a session's user id into the acting principal, refusing
// users that were disabled or cancelled since they logged in.
func (s *Service) Resolve(ctx context.Context, userID string) (core.Principal, *User, *Applicant, error) {
	u, err := s.Repo.GetUser(ctx, userID)
	if err != nil {
		if core.IsCode(err, core.NotFound) {
			return core.Anonymous, nil, nil, core.Errorf(core.Unauthenticated, "登录已失效，请重新登录")
		}
		return core.Anonymous, nil, nil, err
	}
	app, err := s.checkUsable(ctx, u)
	if err != nil {
		if core.IsCode(err, core.Forbidden) {
			return core.Anonymous, nil, nil, core.Errorf(core.Unauthenticated, "%s", core.ErrorMessage(err))
		}
		return core.Anonymous, nil, nil, err
	}
	return Principal(u, app), u, app, nil
}

// ChangePassword changes p's own password and ends its other sessions.
func (s *Service) ChangePassword(ctx context.Context, p core.Principal, current, next, next2, keepSession string) error {
	if !p.Authenticated() {
		return core.Errorf(core.Unauthenticated, "请先登录")
	}
	u, err := s.Repo.GetUser(ctx, p.UserID)
	if err != nil {
		return err
	}
	f := &core.Fields{}
	if current == "" {
		f.Add("current", "请输入原密码")
	} else if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(current)) != nil {
		f.Add("current", "原密码不正确")
	}
	if msg := CheckPassword(next, u.Login); msg != "" {
		f.Add("password", "%s", msg)
	} else if next == current {
		f.Add("password", "新密码不能与原密码相同")
	} else if next2 != next {
		f.Add("password2", "两次输入的新密码不一致")
	}
	if err := f.Err(); err != nil {
		return err
	}
	if u.PasswordHash, err = s.hash(next); err != nil {
		return err
	}
	u.UpdatedAt = s.now()
	if err := s.Repo.UpdateUser(ctx, u); err != nil {
		return err
	}
	return s.Sessions.KillUserSessions(ctx, u.ID, keepSession)
}

// ---------------------------------------------------------------- sub-users

// SubUserInput creates a sub-user.
type SubUserInput struct {
	Name      string
	Phone     string
	Password  string
	Password2 string
}

func (s *Service) requireMain(ctx context.Context, p core.Principal) error {
	if err := p.RequireApprovedApplicant(); err != nil {
		return err
	}
	if p.SubUser {
		return core.Errorf(core.Forbidden, "只有主账号可以管理子用户")
	}
	return nil
}

// SubUsers lists the sub-users of p's applicant.
func (s *Service) SubUsers(ctx context.Context, p core.Principal) ([]*User, error) {
	if err := s.requireMain(ctx, p); err != nil {
		return nil, err
	}
	list, _, err := s.Repo.ListUsers(ctx, UserQuery{ApplicantID: p.ApplicantID, SubUsersOnly: true, Limit: 500})
	return list, err
}

// CreateSubUser adds a sub-user who logs in with its phone number.
func (s *Service) CreateSubUser(ctx context.Context, p core.Principal, in SubUserInput) (*User, error) {
	if err := s.requireMain(ctx, p); err != nil {
		return nil, err
	}
	in.Name = strings.TrimSpace(in.Name)
	in.Phone = NormalizePhone(in.Phone)
	f := &core.Fields{}
	checkText(f, "name", "姓名", in.Name, 2, 30)
	if msg := CheckMobile(in.Phone); msg != "" {
		f.Add("phone", "%s", msg)
	} else if _, err := s.Repo.GetUserByLogin(ctx, in.Phone); err == nil {
		f.Add("phone", "手机号 %s 已被其他账号使用", in.Phone)
	} else if !core.IsCode(err, core.NotFound) {
		return nil, err
	}
	if msg := CheckPassword(in.Password, in.Phone); msg != "" {
		f.Add("password", "%s", msg)
	} else if in.Password2 != in.Password {
		f.Add("password2", "两次输入的密码不一致")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hash(in.Password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	u := &User{
		ID: core.NewID(), Login: in.Phone, LoginKey: in.Phone, Name: in.Name, Phone: in.Phone,
		Role: core.RoleApplicant, SubUser: true, ApplicantID: p.ApplicantID, PasswordHash: hash,
		CreatedAt: now, UpdatedAt: now, CreatedBy: p.UserID, Version: 1,
	}
	if err := s.Repo.CreateUser(ctx, u); err != nil {
		if core.IsCode(err, core.Conflict) {
			f.Add("phone", "手机号 %s 已被其他账号使用", in.Phone)
			return nil, f.Err()
		}
		return nil, err
	}
	return u, nil
}

// subUser returns a sub-user of p's applicant, NotFound for anybody else's.
func (s *Service) subUser(ctx context.Context, p core.Principal, id string) (*User, error) {
	u, err := s.Repo.GetUser(ctx, id)
	if err != nil {
		return nil, err
	}
	if !u.SubUser || !p.OwnsApplicantData(u.ApplicantID) {
		return nil, core.ErrNotFound("子用户")
	}
	if err := s.requireMain(ctx, p); err != nil {
		return nil, err
	}
	return u, nil
}

// SetSubUserDisabled disables (ending its sessions) or re-enables a sub-user.
func (s *Service) SetSubUserDisabled(ctx context.Context, p core.Principal, id string, disabled bool) error {
	u, err := s.subUser(ctx, p, id)
	if err != nil {
		return err
	}
	if u.Disabled == disabled {
		return nil
	}
	u.Disabled, u.UpdatedAt = disabled, s.now()
	if err := s.Repo.UpdateUser(ctx, u); err != nil {
		return err
	}
	if disabled {
		return s.Sessions.KillUserSessions(ctx, u.ID, "")
	}
	return nil
}

// ResetSubUserPassword sets a new password for a sub-user.
func (s *Service) ResetSubUserPassword(ctx context.Context, p core.Principal, id, pw, pw2 string) error {
	u, err := s.subUser(ctx, p, id)
	if err != nil {
		return err
	}
	f := &core.Fields{}
	if msg := CheckPassword(pw, u.Login); msg != "" {
		f.Add("password", "%s", msg)
	} else if pw2 != pw {
		f.Add("password2", "两次输入的密码不一致")
	}
	if err := f.Err(); err != nil {
		return err
	}
	if u.PasswordHash, err = s.hash(pw); err != nil {
		return err
	}
	u.UpdatedAt = s.now()
	if err := s.Repo.UpdateUser(ctx, u); err != nil {
		return err
	}
	return s.Sessions.KillUserSessions(ctx, u.ID, "")
}

// ---------------------------------------------------------------- platform users

// UserInput creates an institution staff member, a regulator or an admin.
type UserInput struct {
	Role          core.Role
	Login         string
	Name          string
	Phone         string
	Password      string
	InstitutionID string
	RegionCode    string
}

// System is the principal of server subcommands and demo data loading.
var System = core.Principal{UserID: "system", Name: "系统", Role: core.RoleAdmin}

// CreateUser lets an admin create a platform user.
func (s *Service) CreateUser(ctx context.Context, p core.Principal, in UserInput) (*User, error) {
	if err := p.RequireRole(core.RoleAdmin); err != nil {
		return nil, err
	}
	in.Login, in.Name, in.Phone = strings.TrimSpace(in.Login), strings.TrimSpace(in.Name), NormalizePhone(in.Phone)
	f := &core.Fields{}
	switch in.Role {
	case core.RoleStaff:
		if _, ok := s.Ref.Institution(in.InstitutionID); !ok {
			f.Add("institution", "请选择所属技术机构")
		}
		in.RegionCode = ""
	case core.RoleRegulator:
		if r, ok := s.Ref.Region(in.RegionCode); !ok {
			f.Add("region", "请选择监管区域")
		} else {
			in.RegionCode = r.Code
		}
		in.InstitutionID = ""
	case core.RoleAdmin:
		in.InstitutionID, in.RegionCode = "", ""
	default:
		f.Add("role", "角色只能为技术机构、行政管理部门或管理员")
	}
	if msg := CheckLogin(in.Login); msg != "" {
		f.Add("login", "%s", msg)
	} else if _, err := s.Repo.GetUserByLogin(ctx, NormalizeLogin(in.Login)); err == nil {
		f.Add("login", "账号“%s”已存在", in.Login)
	} else if !core.IsCode(err, core.NotFound) {
		return nil, err
	}
	checkText(f, "name", "姓名", in.Name, 2, 30)
	if in.Phone != "" {
		if msg := CheckContactPhone(in.Phone); msg != "" {
			f.Add("phone", "%s", msg)
		}
	}
	if msg := CheckPassword(in.Password, in.Login); msg != "" {
		f.Add("password", "%s", msg)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hash(in.Password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	u := &User{
		ID: core.NewID(), Login: in.Login, LoginKey: NormalizeLogin(in.Login), Name: in.Name, Phone: in.Phone,
		Role: in.Role, InstitutionID: in.InstitutionID, RegionCode: in.RegionCode, PasswordHash: hash,
		CreatedAt: now, UpdatedAt: now, CreatedBy: p.UserID, Version: 1,
	}
	if err := s.Repo.CreateUser(ctx, u); err != nil {
		if core.IsCode(err, core.Conflict) {
			f.Add("login", "账号“%s”已存在", in.Login)
			return nil, f.Err()
		}
		return nil, err
	}
	return u, nil
}

// PlatformUsers lists staff, regulators and admins for an admin.
func (s *Service) PlatformUsers(ctx context.Context, p core.Principal, offset, limit int) ([]*User, int, error) {
	if err := p.RequireRole(core.RoleAdmin); err != nil {
		return nil, 0, err
	}
	return s.Repo.ListUsers(ctx, UserQuery{Roles: []core.Role{core.RoleStaff, core.RoleRegulator, core.RoleAdmin}, Offset: offset, Limit: limit})
}

// SetUserDisabled lets an admin disable or enable a platform user.
func (s *Service) SetUserDisabled(ctx context.Context, p core.Principal, id string, disabled bool) error {
	if !p.IsAdmin() {
		// Platform users are only addressable by admins.
		return core.ErrNotFound("用户")
	}
	if id == p.UserID {
		return core.Errorf(core.Invalid, "不能停用自己的账号")
	}
	u, err := s.Repo.GetUser(ctx, id)
	if err != nil {
		return err
	}
	if u.Role == core.RoleApplicant {
		return core.ErrNotFound("用户")
	}
	u.Disabled, u.UpdatedAt = disabled, s.now()
	if err := s.Repo.UpdateUser(ctx, u); err != nil {
		return err
	}
	if disabled {
		return s.Sessions.KillUserSessions(ctx, u.ID, "")
	}
	return nil
}
