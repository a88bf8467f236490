package account

import (
	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/refdata"
)

// This file is the one place that decides who may see which applicant.

// reviews reports whether institution inst reviews registrations from
// region: the city institution of the applicant's city and a district
// institution of the applicant's own district (manual 一.2(4)).
func reviews(ref *refdata.Data, inst refdata.Institution, region string) bool {
	return inst.Level != refdata.LevelProvince && ref.Covers(inst, region)
}

// canSee reports whether p may see applicant a.
func canSee(ref *refdata.Data, p core.Principal, a *Applicant) bool {
	switch {
	case p.IsApplicant():
		return p.ApplicantID == a.ID
	case p.IsStaff():
		inst, ok := ref.Institution(p.InstitutionID)
		return ok && reviews(ref, inst, a.RegionCode)
	case p.IsRegulator():
		return regulatorCovers(ref, p.RegionCode, a.RegionCode)
	case p.IsAdmin():
		return true
	}
	return false
}

// regulatorCovers: a provincial regulator sees everything, a city regulator
// its city, a district regulator its district.
func regulatorCovers(ref *refdata.Data, scope, region string) bool {
	s, ok := ref.Region(scope)
	if !ok {
		return false
	}
	r, ok := ref.Region(region)
	if !ok {
		return false
	}
	switch {
	case s.IsProvince():
		return true
	case s.IsCity():
		return r.CityCode() == s.Code
	default:
		return r.Code == s.Code
	}
}

// scopeQuery restricts q to what p may list; ok is false when p may list nothing.
func scopeQuery(ref *refdata.Data, p core.Principal, q *ApplicantQuery) bool {
	switch {
	case p.IsStaff():
		inst, ok := ref.Institution(p.InstitutionID)
		if !ok || inst.Level == refdata.LevelProvince {
			return false
		}
		if inst.Level == refdata.LevelCity {
			q.CityCode = inst.RegionCode
		} else {
			q.RegionCode = inst.RegionCode
		}
		return true
	case p.IsRegulator():
		s, ok := ref.Region(p.RegionCode)
		if !ok {
			return false
		}
		switch {
		case s.IsCity():
			q.CityCode = s.Code
		case s.IsDistrict():
			q.RegionCode = s.Code
		}
		return true
	case p.IsAdmin():
		return true
	}
	return false
}
