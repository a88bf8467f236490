package instrument

import (
	"github.com/gdqjp/qj/core"
	"github.com/gdqjp/qj/core/refdata"
)

// This file is the one place that decides who may see which instrument.

// canSee: the owning applicant (and its sub-users); the institution it is
// filed with or addressed to; a regulator of its region.
func canSee(ref *refdata.Data, p core.Principal, in *Instrument) bool {
	switch {
	case p.IsApplicant():
		return p.ApplicantID == in.ApplicantID
	case p.IsStaff():
		return in.Filing.Status != Unfiled && in.Filing.InstitutionID != "" &&
			(in.Filing.InstitutionID == p.InstitutionID || in.Filing.TargetID == p.InstitutionID)
	case p.IsRegulator():
		s, ok := ref.Region(p.RegionCode)
		if !ok {
			return false
		}
		r, ok := ref.Region(in.RegionCode)
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
	return false
}

// scope restricts q to what p may list; false when p may list nothing here.
func scope(ref *refdata.Data, p core.Principal, q *Query) bool {
	q.ApplicantID, q.InstitutionID, q.Regions = "", "", nil
	switch {
	case p.IsApplicant():
		q.ApplicantID = p.ApplicantID
		return true
	case p.IsStaff():
		q.InstitutionID = p.InstitutionID
		return true
	case p.IsRegulator():
		s, ok := ref.Region(p.RegionCode)
		switch {
		case !ok:
			return false
		case s.IsProvince():
			q.Regions = nil
			return true
		case s.IsCity():
			for _, d := range ref.DistrictsOf(s.Code) {
				q.Regions = append(q.Regions, d.Code)
			}
		default:
			q.Regions = []string{s.Code}
		}
		return len(q.Regions) > 0
	}
	return false
}
