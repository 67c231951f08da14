package sagemakerfake

import (
	"sort"
)

type handlerFunc func(s *Server, in input) (map[string]any, *apiError)

var handlers map[string]handlerFunc

func init() {
	handlers = map[string]handlerFunc{
		"DescribeDomain":      describeDomain,
		"DeleteDomain":        deleteDomain,
		"ListUserProfiles":    listUserProfiles,
		"DescribeUserProfile": describeUserProfile,
		"DeleteUserProfile":   deleteUserProfile,
		"ListSpaces":          listSpaces,
		"DescribeSpace":       describeSpace,
		"DeleteSpace":         deleteSpace,
		"ListApps":            listApps,
		"DescribeApp":         describeApp,
		"DeleteApp":           deleteApp,
	}
}

func describeDomain(s *Server, in input) (map[string]any, *apiError) {
	d, err := s.domain(in, "DomainId")
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"DomainId": d.ID, "DomainName": d.Name, "Status": "InService",
		"DomainArn":           "arn:aws:sagemaker:us-east-1:123456789012:domain/" + d.ID,
		"HomeEfsFileSystemId": d.HomeEFS, "VpcId": d.VpcID,
	}, nil
}

func deleteDomain(s *Server, in input) (map[string]any, *apiError) {
	d, err := s.domain(in, "DomainId")
	if err != nil {
		return nil, err
	}
	if len(d.profiles) > 0 || len(d.spaces) > 0 {
		return nil, errf("ResourceInUse", "Domain %s still has %d user profile(s) and %d space(s)", d.ID, len(d.profiles), len(d.spaces))
	}
	s.log = append(s.log, "DeleteDomain "+d.ID)
	delete(s.domains, d.ID)
	return map[string]any{}, nil
}

func listUserProfiles(s *Server, in input) (map[string]any, *apiError) {
	d, err := s.domain(in, "DomainIdEquals")
	if err != nil {
		return nil, err
	}
	names := sortedKeys(d.profiles)
	from, to, next := s.page(in, len(names))
	var out []map[string]any
	for _, n := range names[from:to] {
		out = append(out, map[string]any{"DomainId": d.ID, "UserProfileName": n, "Status": d.profiles[n].status})
	}
	return withNext(map[string]any{"UserProfiles": out}, next), nil
}

func withNext(m map[string]any, next string) map[string]any {
	if next != "" {
		m["NextToken"] = next
	}
	return m
}

func describeUserProfile(s *Server, in input) (map[string]any, *apiError) {
	d, err := s.domain(in, "DomainId")
	if err != nil {
		return nil, err
	}
	name := in.str("UserProfileName")
	p := d.profiles[name]
	if p == nil {
		return nil, errf("ResourceNotFound", "User profile %s does not exist", name)
	}
	return map[string]any{"DomainId": d.ID, "UserProfileName": name, "Status": p.status}, nil
}

func deleteUserProfile(s *Server, in input) (map[string]any, *apiError) {
	d, err := s.domain(in, "DomainId")
	if err != nil {
		return nil, err
	}
	name := in.str("UserProfileName")
	p := d.profiles[name]
	if p == nil {
		return nil, errf("ResourceNotFound", "User profile %s does not exist", name)
	}
	if p.status == "Deleting" {
		return nil, errf("ResourceInUse", "User profile %s is being deleted", name)
	}
	for _, a := range d.apps {
		if a.Profile == name && a.status != "Deleted" {
			return nil, errf("ResourceInUse", "User profile %s has app %s/%s in status %s", name, a.Type, a.Name, a.status)
		}
	}
	for spName, sp := range d.spaces {
		if sp.owner == name {
			return nil, errf("ResourceInUse", "User profile %s owns space %s", name, spName)
		}
	}
	p.status, p.goneAt = "Deleting", s.opts.Now().Add(s.opts.ProfileDeleteTime)
	s.log = append(s.log, "DeleteUserProfile "+name)
	return map[string]any{}, nil
}

func listSpaces(s *Server, in input) (map[string]any, *apiError) {
	d, err := s.domain(in, "DomainIdEquals")
	if err != nil {
		return nil, err
	}
	names := sortedKeys(d.spaces)
	from, to, next := s.page(in, len(names))
	var out []map[string]any
	for _, n := range names[from:to] {
		sp := d.spaces[n]
		out = append(out, map[string]any{
			"DomainId": d.ID, "SpaceName": n, "Status": sp.status,
			"OwnershipSettingsSummary":    map[string]any{"OwnerUserProfileName": sp.owner},
			"SpaceSharingSettingsSummary": map[string]any{"SharingType": "Private"},
		})
	}
	return withNext(map[string]any{"Spaces": out}, next), nil
}

func describeSpace(s *Server, in input) (map[string]any, *apiError) {
	d, err := s.domain(in, "DomainId")
	if err != nil {
		return nil, err
	}
	name := in.str("SpaceName")
	sp := d.spaces[name]
	if sp == nil {
		return nil, errf("ResourceNotFound", "Space %s does not exist", name)
	}
	return map[string]any{"DomainId": d.ID, "SpaceName": name, "Status": sp.status,
		"OwnershipSettings": map[string]any{"OwnerUserProfileName": sp.owner}}, nil
}

func deleteSpace(s *Server, in input) (map[string]any, *apiError) {
	d, err := s.domain(in, "DomainId")
	if err != nil {
		return nil, err
	}
	name := in.str("SpaceName")
	sp := d.spaces[name]
	if sp == nil {
		return nil, errf("ResourceNotFound", "Space %s does not exist", name)
	}
	if sp.status == "Deleting" {
		return nil, errf("ResourceInUse", "Space %s is being deleted", name)
	}
	for _, a := range d.apps {
		if a.Space == name && a.status != "Deleted" {
			return nil, errf("ResourceInUse", "Space %s has app %s/%s in status %s", name, a.Type, a.Name, a.status)
		}
	}
	sp.status, sp.goneAt = "Deleting", s.opts.Now().Add(s.opts.SpaceDeleteTime)
	s.log = append(s.log, "DeleteSpace "+name)
	return map[string]any{}, nil
}

func listApps(s *Server, in input) (map[string]any, *apiError) {
	d, err := s.domain(in, "DomainIdEquals")
	if err != nil {
		return nil, err
	}
	profile, space := in.str("UserProfileNameEquals"), in.str("SpaceNameEquals")
	if profile != "" && space != "" {
		return nil, errf("ValidationException", "UserProfileNameEquals and SpaceNameEquals cannot both be set")
	}
	var match []*app
	for _, a := range d.apps {
		if (profile == "" || a.Profile == profile) && (space == "" || a.Space == space) {
			match = append(match, a)
		}
	}
	sort.SliceStable(match, func(i, j int) bool { return match[i].Name < match[j].Name })
	from, to, next := s.page(in, len(match))
	var out []map[string]any
	for _, a := range match[from:to] {
		out = append(out, appJSON(d.ID, a))
	}
	return withNext(map[string]any{"Apps": out}, next), nil
}

func appJSON(domainID string, a *app) map[string]any {
	m := map[string]any{"DomainId": domainID, "AppType": a.Type, "AppName": a.Name, "Status": a.status}
	if a.Space != "" {
		m["SpaceName"] = a.Space
	} else {
		m["UserProfileName"] = a.Profile
	}
	return m
}

// findApp follows the real API: the app is named by type and name plus
// exactly one of UserProfileName and SpaceName.
func findApp(d *domain, in input) (*app, *apiError) {
	profile, space := in.str("UserProfileName"), in.str("SpaceName")
	if (profile == "") == (space == "") {
		return nil, errf("ValidationException", "exactly one of UserProfileName and SpaceName must be set")
	}
	for _, a := range d.apps {
		if a.Type == in.str("AppType") && a.Name == in.str("AppName") && a.Profile == profile && a.Space == space {
			return a, nil
		}
	}
	return nil, errf("ResourceNotFound", "App %s/%s does not exist", in.str("AppType"), in.str("AppName"))
}

func describeApp(s *Server, in input) (map[string]any, *apiError) {
	d, err := s.domain(in, "DomainId")
	if err != nil {
		return nil, err
	}
	a, err := findApp(d, in)
	if err != nil {
		return nil, err
	}
	return appJSON(d.ID, a), nil
}

func deleteApp(s *Server, in input) (map[string]any, *apiError) {
	d, err := s.domain(in, "DomainId")
	if err != nil {
		return nil, err
	}
	a, err := findApp(d, in)
	if err != nil {
		return nil, err
	}
	switch a.status {
	case "Deleted":
		return nil, errf("ResourceNotFound", "App %s/%s is already deleted", a.Type, a.Name)
	case "Deleting":
		return nil, errf("ResourceInUse", "App %s/%s is being deleted", a.Type, a.Name)
	}
	a.status, a.deletedAt = "Deleting", s.opts.Now().Add(s.opts.AppDeleteTime)
	s.log = append(s.log, "DeleteApp "+a.Name)
	return map[string]any{}, nil
}
