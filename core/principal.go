package core

// Role is what kind of user acts.
type Role string

const (
	RoleApplicant Role = "applicant" // 申请方 (main account or sub-user)
	RoleStaff     Role = "staff"     // 技术机构工作人员
	RoleRegulator Role = "regulator" // 行政管理部门
	RoleAdmin     Role = "admin"     // 平台管理员
)

// RoleName is the Chinese name shown to users.
func (r Role) Name() string {
	switch r {
	case RoleApplicant:
		return "申请方"
	case RoleStaff:
		return "技术机构"
	case RoleRegulator:
		return "行政管理部门"
	case RoleAdmin:
		return "管理员"
	}
	return string(r)
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleApplicant, RoleStaff, RoleRegulator, RoleAdmin:
		return true
	}
	return false
}

// Principal is who acts. Every use case takes one and builds every query
// from it: this is the single place where data scope is decided.
type Principal struct {
	UserID string
	Name   string
	Role   Role
	// SubUser is true for an applicant's sub-user; it acts in the main
	// account's scope (ApplicantID) with the same permissions.
	SubUser bool
	// ApplicantID is the organisation an applicant user belongs to
	// (equal to the main account's user id).
	ApplicantID string
	// ApplicantApproved is false until the registration is approved; until
	// then the applicant may only see and edit its registration.
	ApplicantApproved bool
	// InstitutionID is set for institution staff.
	InstitutionID string
	// RegionCode is the region a regulator supervises.
	RegionCode string
}

// Anonymous is the principal of a request without a session.
var Anonymous = Principal{}

func (p Principal) Authenticated() bool { return p.UserID != "" }

func (p Principal) IsApplicant() bool { return p.Role == RoleApplicant && p.ApplicantID != "" }
func (p Principal) IsStaff() bool     { return p.Role == RoleStaff && p.InstitutionID != "" }
func (p Principal) IsRegulator() bool { return p.Role == RoleRegulator && p.RegionCode != "" }
func (p Principal) IsAdmin() bool     { return p.Role == RoleAdmin }

// MainApplicant is true for the main account of an applicant (not a sub-user).
func (p Principal) MainApplicant() bool { return p.IsApplicant() && !p.SubUser }

// OwnsApplicantData reports whether p may see the data of applicant id.
func (p Principal) OwnsApplicantData(applicantID string) bool {
	return p.IsApplicant() && applicantID != "" && p.ApplicantID == applicantID
}

// RequireApprovedApplicant is the gate of every applicant business action.
func (p Principal) RequireApprovedApplicant() error {
	if !p.Authenticated() {
		return Errorf(Unauthenticated, "请先登录")
	}
	if !p.IsApplicant() {
		return Errorf(Forbidden, "该功能仅供申请方使用")
	}
	if !p.ApplicantApproved {
		return Errorf(Forbidden, "您的注册申请尚未审核通过，暂不能使用该功能")
	}
	return nil
}

// RequireRole returns Unauthenticated/Forbidden unless p has one of roles.
func (p Principal) RequireRole(roles ...Role) error {
	if !p.Authenticated() {
		return Errorf(Unauthenticated, "请先登录")
	}
	for _, r := range roles {
		if p.Role == r {
			return nil
		}
	}
	return Errorf(Forbidden, "您没有权限进行此操作")
}
